import type { ApiContext, ZodApp } from '../api-context';
import { manageBody, manageHeaders } from './manage.schemas';
import { invalidLink } from './subscriptions.routes';
import { errorResponse, subscriberView } from './subscriptions.schemas';

/**
 * `/manage`: the web app's manage page, with the token of the signed link
 * every email carries in the `x-manage-token` header. A manage link is proof
 * of the mailbox, so its changes apply at once (a subscribe request, POST
 * /subscriptions, only after its confirmation link).
 */
export function registerManageRoutes(app: ZodApp, ctx: ApiContext): void {
  app.get(
    '/manage',
    {
      preHandler: ctx.limits.clientAndAddress,
      schema: {
        tags: ['subscriptions'],
        summary: 'The address and subscriptions a manage link is for',
        headers: manageHeaders,
        response: { 200: subscriberView, 400: errorResponse, 410: errorResponse },
      },
    },
    async (request) => {
      const subscriber = await ctx.subscriptions.manageSubscriber(request.headers['x-manage-token']);
      if (!subscriber) throw invalidLink();
      return { email: subscriber.email, status: subscriber.status, subscriptions: subscriber.subscriptions };
    },
  );

  app.put(
    '/manage',
    {
      preHandler: ctx.limits.clientAndAddress,
      schema: {
        tags: ['subscriptions'],
        summary: "Replace the subscriptions of the manage link's address (empty: unsubscribed from everything)",
        headers: manageHeaders,
        body: manageBody,
        response: { 200: subscriberView, 400: errorResponse, 410: errorResponse },
      },
    },
    async (request) => {
      const items = request.body.subscriptions.map((s) => ({ ticker: s.ticker, strategies: [s.strategy] }));
      const subscriber = await ctx.subscriptions.replaceByManageToken(request.headers['x-manage-token'], items);
      if (!subscriber) throw invalidLink();
      return { email: subscriber.email, status: subscriber.status, subscriptions: subscriber.subscriptions };
    },
  );

  app.delete(
    '/manage',
    {
      // An unsubscribe: limited per client only, never by address.
      preHandler: ctx.limits.client,
      schema: {
        tags: ['subscriptions'],
        summary: "Unsubscribe the manage link's address from everything",
        headers: manageHeaders,
        response: { 200: subscriberView, 400: errorResponse, 410: errorResponse },
      },
    },
    async (request) => {
      const subscriber = await ctx.subscriptions.unsubscribeAllByManageToken(request.headers['x-manage-token']);
      if (!subscriber) throw invalidLink();
      return { email: subscriber.email, status: subscriber.status, subscriptions: [] };
    },
  );
}
