import { BadInputError } from '../../domain/errors';
import { HttpError } from '../errors';
import { INVALID_LINK_MESSAGE } from '../pages';
import type { ApiContext, ZodApp } from '../api-context';
import {
  challengeResponse,
  confirmResponse,
  errorResponse,
  newLinkBody,
  newLinkResponse,
  optionsResponse,
  subscribeBody,
  subscribeResponse,
  tokenBody,
  unsubscribeResponse,
} from './subscriptions.schemas';

/** The 400 answer to a link that is not valid (forged, truncated, another purpose, an address no longer held). */
export const invalidLink = () => new HttpError(400, 'invalid_link', INVALID_LINK_MESSAGE);

/**
 * `/subscriptions*`: the subscribe form (its choices, the request) and the web
 * app's confirm and unsubscribe landing pages (JSON, the token in the body).
 * A subscribe request changes nothing until its confirmation link is followed.
 */
export function registerSubscriptionRoutes(app: ZodApp, ctx: ApiContext): void {
  app.post(
    '/subscriptions',
    {
      preHandler: ctx.limits.clientAndAddress,
      schema: {
        tags: ['subscriptions'],
        summary:
          'Ask to subscribe an address: nothing changes until the link emailed to that address is followed (double opt-in for every change)',
        body: subscribeBody,
        response: { 202: subscribeResponse },
      },
    },
    async (request, reply) => {
      const { email, tickers = [], strategies, subscriptions = [], altcha } = request.body;
      const items = [...tickers.map((ticker) => ({ ticker, strategies })), ...subscriptions];
      const result = await ctx.subscriptions.requestSubscription({ email, items, today: ctx.today(), proof: altcha });
      // Says nothing about the address's existing state or subscriptions: anyone can call this with any address.
      return reply.code(202).send({
        email: result.email,
        subscriptions: result.subscriptions,
        message: 'A confirmation link is on its way to this address; nothing changes before it is followed.',
        notes: result.notes,
      });
    },
  );

  app.get(
    '/subscriptions/challenge',
    {
      preHandler: ctx.limits.client,
      schema: {
        tags: ['subscriptions'],
        summary: 'A proof-of-work challenge for POST /subscriptions (its `altcha`): 404 when this server asks for none',
        response: { 200: challengeResponse, 404: errorResponse },
      },
    },
    async () => ctx.subscriptions.challenge(),
  );

  app.get(
    '/subscriptions/options',
    {
      preHandler: ctx.limits.clientAndAddress,
      schema: {
        tags: ['subscriptions'],
        summary: 'What the subscribe form offers: strategies, "recommended", the configured default',
        response: { 200: optionsResponse },
      },
    },
    async () => ctx.subscriptions.options(),
  );

  app.post(
    '/subscriptions/confirm',
    {
      preHandler: ctx.limits.clientAndAddress,
      schema: {
        tags: ['subscriptions'],
        summary:
          "Follow a confirm link (the web app's /app/confirm page): applies the subscription change it was sent for",
        body: tokenBody,
        response: { 200: confirmResponse, 400: errorResponse, 410: errorResponse },
      },
    },
    async (request) => {
      const result = await ctx.subscriptions.confirmLink(request.body.token);
      if (!result) throw invalidLink();
      return result;
    },
  );

  app.post(
    '/subscriptions/new-link',
    {
      // Per client and per mailbox (the address given, or the one the link was for): nobody floods a mailbox.
      preHandler: ctx.limits.clientAndAddress,
      schema: {
        tags: ['subscriptions'],
        summary:
          'Send me a new link: emails a fresh confirm or manage link to the address an expired link was for (or to `email`); answers the same whether or not the address subscribes',
        body: newLinkBody,
        response: { 202: newLinkResponse, 400: errorResponse },
      },
    },
    async (request, reply) => {
      const { token, email } = request.body;
      if ((token === undefined) === (email === undefined))
        throw new BadInputError("give either token (the expired link's) or email, not both", { field: 'token' });
      if (!(await ctx.subscriptions.sendNewLink({ token, email, today: ctx.today() }))) throw invalidLink();
      return reply.code(202).send({
        message: 'If this address subscribes to Algo Signals, a new link is on its way to it.',
      });
    },
  );

  app.post(
    '/subscriptions/unsubscribe',
    {
      // Never limited by address: a flood of requests about an address must not keep it from unsubscribing.
      preHandler: ctx.limits.client,
      schema: {
        tags: ['subscriptions'],
        summary:
          "Follow an unsubscribe link (the web app's /app/unsubscribe page): unsubscribes the address from everything",
        body: tokenBody,
        response: { 200: unsubscribeResponse, 400: errorResponse },
      },
    },
    async (request) => {
      const done = await ctx.subscriptions.unsubscribeByToken(request.body.token);
      if (!done) throw invalidLink();
      return { email: done.email, status: 'unsubscribed' as const };
    },
  );
}
