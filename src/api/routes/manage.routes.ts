import { z } from 'zod';
import { listStrategies } from '../../domain/strategies/registry';
import { manageUrl, MAX_CONFIRMATION_EMAILS_PER_DAY, RECOMMENDED_STRATEGY } from '../../domain/subscriptions';
import { HttpError } from '../errors';
import { manageBody, manageHeaders, subscriptionPair, tokenBody } from '../schemas';
import type { ApiContext, ZodApp } from '../api-context';

const statusSchema = z.enum(['pending', 'confirmed', 'unsubscribed']);

const subscriberView = z.object({
  email: z.string(),
  status: statusSchema,
  subscriptions: z.array(subscriptionPair),
});

const confirmResponse = subscriberView.extend({
  outcome: z.enum(['applied', 'already_applied', 'confirmed']).describe('applied now; already_applied by an earlier click; confirmed: an older link confirmed the address'),
  added: z.array(subscriptionPair),
  manageUrl: z.string().describe('The signed manage link of this address'),
});

const optionsResponse = z.object({
  strategies: z.array(z.object({ name: z.string(), description: z.string() })),
  recommended: z.literal(RECOMMENDED_STRATEGY).describe('The strategy name that follows each ticker\'s recommendation'),
  defaultStrategies: z.array(z.string()).describe('What a ticker runs by config when no strategy is picked'),
  maxTickers: z.number().int(),
  maxConfirmationEmailsPerDay: z.number().int(),
});

const errorResponse = z.object({ error: z.string(), message: z.string() });

const invalidLink = () => new HttpError(400, 'invalid_link', 'This link is not valid (it may be incomplete or altered). Copy the whole link from the email.');

/**
 * What the web app's subscriber pages call: the choices of the subscribe
 * form, the confirm and unsubscribe landing pages (JSON, the token in the
 * body), and the manage page (the token of the signed link in every email,
 * in the `x-manage-token` header). A manage link is proof of the mailbox, so
 * its changes apply at once; a subscribe request (POST /subscriptions) only
 * after its confirmation link.
 */
export function registerManageRoutes(app: ZodApp, ctx: ApiContext): void {
  app.get(
    '/subscriptions/options',
    { preHandler: (request, reply) => ctx.limits.clientAndAddress(request, reply), schema: { tags: ['subscriptions'], summary: 'What the subscribe form offers: strategies, "recommended", the configured default', response: { 200: optionsResponse } } },
    async () => ({
      strategies: (ctx.deps.knownStrategies ? ctx.deps.knownStrategies.map((name) => ({ name, description: '' })) : listStrategies().map((s) => ({ name: s.name, description: s.description }))),
      recommended: RECOMMENDED_STRATEGY as typeof RECOMMENDED_STRATEGY,
      defaultStrategies: ctx.deps.config.strategies.default.map((s) => s.name),
      maxTickers: 50,
      maxConfirmationEmailsPerDay: MAX_CONFIRMATION_EMAILS_PER_DAY,
    }),
  );

  app.post(
    '/subscriptions/confirm',
    {
      preHandler: (request, reply) => ctx.limits.clientAndAddress(request, reply),
      schema: {
        tags: ['subscriptions'],
        summary: 'Follow a confirm link (the web app\'s /app/confirm page): applies the subscription change it was sent for',
        body: tokenBody,
        response: { 200: confirmResponse, 400: errorResponse },
      },
    },
    async (request) => {
      const result = await ctx.service.confirmLink(request.body.token);
      if (!result) throw invalidLink();
      const subscriber = await ctx.deps.subscribers.findByEmail(result.email);
      return {
        ...result,
        manageUrl: manageUrl({ publicUrl: ctx.deps.config.api.publicUrl, signer: ctx.deps.signer }, { id: subscriber!.id, email: result.email }),
      };
    },
  );

  app.post(
    '/subscriptions/unsubscribe',
    {
      preHandler: (request, reply) => ctx.limits.clientAndAddress(request, reply),
      schema: {
        tags: ['subscriptions'],
        summary: 'Follow an unsubscribe link (the web app\'s /app/unsubscribe page): unsubscribes the address from everything',
        body: tokenBody,
        response: { 200: z.object({ email: z.string(), status: z.literal('unsubscribed') }), 400: errorResponse },
      },
    },
    async (request) => {
      const done = await ctx.service.unsubscribeByToken(request.body.token);
      if (!done) throw invalidLink();
      return { email: done.email, status: 'unsubscribed' as const };
    },
  );

  app.get(
    '/manage',
    { preHandler: (request, reply) => ctx.limits.clientAndAddress(request, reply), schema: { tags: ['subscriptions'], summary: 'The address and subscriptions a manage link is for', headers: manageHeaders, response: { 200: subscriberView, 400: errorResponse } } },
    async (request) => {
      const subscriber = await ctx.service.manageSubscriber(request.headers['x-manage-token']);
      if (!subscriber) throw invalidLink();
      return { email: subscriber.email, status: subscriber.status, subscriptions: subscriber.subscriptions };
    },
  );

  app.put(
    '/manage',
    {
      preHandler: (request, reply) => ctx.limits.clientAndAddress(request, reply),
      schema: {
        tags: ['subscriptions'],
        summary: 'Replace the subscriptions of the manage link\'s address (empty: unsubscribed from everything)',
        headers: manageHeaders,
        body: manageBody,
        response: { 200: subscriberView, 400: errorResponse },
      },
    },
    async (request) => {
      const items = request.body.subscriptions.map((s) => ({ ticker: s.ticker, strategies: [s.strategy] }));
      const subscriber = await ctx.service.replaceByManageToken(request.headers['x-manage-token'], items);
      if (!subscriber) throw invalidLink();
      return { email: subscriber.email, status: subscriber.status, subscriptions: subscriber.subscriptions };
    },
  );

  app.delete(
    '/manage',
    { preHandler: (request, reply) => ctx.limits.clientAndAddress(request, reply), schema: { tags: ['subscriptions'], summary: 'Unsubscribe the manage link\'s address from everything', headers: manageHeaders, response: { 200: subscriberView, 400: errorResponse } } },
    async (request) => {
      const subscriber = await ctx.service.unsubscribeAllByManageToken(request.headers['x-manage-token']);
      if (!subscriber) throw invalidLink();
      return { email: subscriber.email, status: subscriber.status, subscriptions: [] };
    },
  );
}
