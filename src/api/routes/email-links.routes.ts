import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { APP_PATHS } from '../../domain/subscriptions';
import { invalidLinkPage, unsubscribedPage } from '../pages';
import type { ApiContext, ZodApp } from '../api-context';
import { linkQuery, oneClickBody, tokenQuery } from './email-links.schemas';

/** The app page a link opens, with the link's token when it has one (the page says when it has none). */
const appPage = (path: string, token: string | undefined) =>
  token ? `${path}?token=${encodeURIComponent(token)}` : path;

/**
 * `/confirm` and `/unsubscribe`: the links of emails sent before the web app
 * (they redirect to its pages, which say what happened) and the RFC 8058
 * one-click unsubscribe POST every email's List-Unsubscribe header names.
 * The two GETs are opened in a browser: they only redirect (no limit, no
 * check, so never a JSON answer), and the app's page calls the limited JSON
 * route and says in words what happened. No unsubscribe is ever limited by address.
 */
export function registerEmailLinkRoutes(app: ZodApp, ctx: ApiContext): void {
  app.get(
    '/confirm',
    {
      schema: {
        tags: ['subscriptions'],
        summary: "Old confirm link: redirects to the web app's confirm page (/app/confirm), which applies it",
        querystring: linkQuery,
      },
    },
    async (request, reply) => reply.redirect(appPage(APP_PATHS.confirm, request.query.token)),
  );

  app.get(
    '/unsubscribe',
    {
      schema: {
        tags: ['subscriptions'],
        summary: "Unsubscribe link of every email: redirects to the web app's unsubscribe page (/app/unsubscribe)",
        querystring: linkQuery,
      },
    },
    async (request, reply) => reply.redirect(appPage(APP_PATHS.unsubscribe, request.query.token)),
  );

  // Mail clients POST `List-Unsubscribe=One-Click` form-encoded or as multipart: accept both here only.
  void app.register(async (scope) => {
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body as string)));
    });
    scope.addContentTypeParser('multipart/form-data', { parseAs: 'string' }, (_req, body, done) => done(null, body));
    scope.withTypeProvider<ZodTypeProvider>().post(
      '/unsubscribe',
      {
        // Not limited: mail providers send one-click POSTs for all their users from a few servers, and
        // only a genuine signed token does anything (unsubscribing an unsubscribed address changes nothing).
        schema: {
          tags: ['subscriptions'],
          summary: 'One-click unsubscribe (RFC 8058): body List-Unsubscribe=One-Click; unsubscribes from everything',
          querystring: tokenQuery,
          body: oneClickBody,
        },
      },
      async (request, reply) => {
        const done = await ctx.subscriptions.unsubscribeByToken(request.query.token);
        reply.type('text/html; charset=utf-8');
        if (!done) return reply.code(400).send(invalidLinkPage());
        return reply.code(200).send(unsubscribedPage(done.email));
      },
    );
  });
}
