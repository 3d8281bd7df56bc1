import { confirmedPage, invalidLinkPage, unsubscribeFormPage, unsubscribedPage } from '../pages';
import { oneClickBody, subscribeBody, tokenQuery } from '../schemas';
import type { ApiContext, ZodApp } from '../api-context';

/** Subscribe, confirm (double opt-in) and one-click unsubscribe (RFC 8058). */
export function registerSubscriptionRoutes(app: ZodApp, ctx: ApiContext): void {
  app.post(
    '/subscriptions',
    {
      schema: {
        tags: ['subscriptions'],
        summary: 'Subscribe an address to tickers (double opt-in: a confirmation email is sent)',
        body: subscribeBody,
      },
    },
    async (request, reply) => {
      const { email, tickers, strategies } = request.body;
      const result = await ctx.service.subscribe({ email, tickers, strategies, confirmed: false, today: ctx.today() });
      // Says nothing about the address's existing state or subscriptions: anyone can call this with any address.
      return reply.code(202).send({
        email: result.email,
        subscriptions: tickers.flatMap((ticker) => (strategies ?? ctx.strategiesFor(ticker)).map((strategy) => ({ ticker, strategy }))),
        message: 'If this address still has to confirm, a confirmation email is on its way; nothing is sent before it is confirmed.',
      });
    },
  );

  app.get(
    '/confirm',
    { schema: { tags: ['subscriptions'], summary: 'Confirm a subscription (the link in the confirmation email); an HTML page', querystring: tokenQuery } },
    async (request, reply) => {
      const subscriber = await ctx.service.confirmByToken(request.query.token);
      reply.type('text/html; charset=utf-8');
      if (!subscriber) return reply.code(400).send(invalidLinkPage());
      return reply.code(200).send(confirmedPage(subscriber.email));
    },
  );

  app.get(
    '/unsubscribe',
    { schema: { tags: ['subscriptions'], summary: 'Unsubscribe page with a button (the link in every email)', querystring: tokenQuery } },
    async (request, reply) => {
      const claims = ctx.service.peekUnsubscribe(request.query.token);
      reply.type('text/html; charset=utf-8');
      if (!claims) return reply.code(400).send(invalidLinkPage());
      return reply.code(200).send(unsubscribeFormPage(claims.email, request.query.token));
    },
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
