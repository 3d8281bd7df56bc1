import { APP_PATHS } from '../../domain/subscriptions';
import { invalidLinkPage, unsubscribedPage } from '../pages';
import { oneClickBody, subscribeBody, tokenQuery } from '../schemas';
import type { ApiContext, ZodApp } from '../api-context';

/** Subscribe, confirm (double opt-in) and one-click unsubscribe (RFC 8058). */
export function registerSubscriptionRoutes(app: ZodApp, ctx: ApiContext): void {
  app.post(
    '/subscriptions',
    {
      preHandler: (request, reply) => ctx.limits.clientAndAddress(request, reply),
      schema: {
        tags: ['subscriptions'],
        summary: 'Ask to subscribe an address: nothing changes until the link emailed to that address is followed (double opt-in for every change)',
        body: subscribeBody,
      },
    },
    async (request, reply) => {
      const { email, tickers = [], strategies, subscriptions = [] } = request.body;
      const items = [...tickers.map((ticker) => ({ ticker, strategies })), ...subscriptions];
      const result = await ctx.service.requestSubscription({ email, items, today: ctx.today() });
      // Says nothing about the address's existing state or subscriptions: anyone can call this with any address.
      return reply.code(202).send({
        email: result.email,
        subscriptions: result.subscriptions,
        message: 'A confirmation link is on its way to this address; nothing changes before it is followed.',
      });
    },
  );

  // The links of emails sent before the web app: they land on its pages, which say what happened.
  app.get(
    '/confirm',
    { preHandler: (request, reply) => ctx.limits.clientAndAddress(request, reply), schema: { tags: ['subscriptions'], summary: 'Old confirm link: redirects to the web app\'s confirm page (/app/confirm), which applies it', querystring: tokenQuery } },
    async (request, reply) => reply.redirect(`${APP_PATHS.confirm}?token=${encodeURIComponent(request.query.token)}`),
  );

  app.get(
    '/unsubscribe',
    { preHandler: (request, reply) => ctx.limits.clientAndAddress(request, reply), schema: { tags: ['subscriptions'], summary: 'Unsubscribe link of every email: redirects to the web app\'s unsubscribe page (/app/unsubscribe)', querystring: tokenQuery } },
    async (request, reply) => reply.redirect(`${APP_PATHS.unsubscribe}?token=${encodeURIComponent(request.query.token)}`),
  );

  // Mail clients POST `List-Unsubscribe=One-Click` form-encoded or as multipart: accept both here only.
  app.register(async (scope) => {
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body as string)));
    });
    scope.addContentTypeParser('multipart/form-data', { parseAs: 'string' }, (_req, body, done) => done(null, body));
    scope.withTypeProvider<import('fastify-type-provider-zod').ZodTypeProvider>().post(
      '/unsubscribe',
      {
        // Per address only: mail providers send one-click POSTs for all their users from a few servers.
        preHandler: (request, reply) => ctx.limits.address(request, reply),
        schema: {
          tags: ['subscriptions'],
          summary: 'One-click unsubscribe (RFC 8058): body List-Unsubscribe=One-Click; unsubscribes from everything',
          querystring: tokenQuery,
          body: oneClickBody,
        },
      },
      async (request, reply) => {
        const done = await ctx.service.unsubscribeByToken(request.query.token);
        reply.type('text/html; charset=utf-8');
        if (!done) return reply.code(400).send(invalidLinkPage());
        return reply.code(200).send(unsubscribedPage(done.email));
      },
    );
  });
}
