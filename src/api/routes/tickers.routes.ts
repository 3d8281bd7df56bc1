import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { BadInputError, UnknownTickerError } from '../../domain/errors';
import type { TickerSummary } from '../../domain/subscriptions';
import { isAdmin } from '../auth';
import type { ApiContext, ZodApp } from '../api-context';
import { pageOfSorted, pageQuery } from '../pagination';
import { addSubscribersBody, addTickerBody, addTickerQuery, tickerParams, tickerQuery } from '../schemas';

const tickerKey = z.object({ ticker: z.string().max(40) });
const emailKey = z.object({ email: z.string().max(1000) });

/** The tracked ticker `ticker`, or {@link UnknownTickerError} (404). */
async function trackedTicker(ctx: ApiContext, ticker: string): Promise<TickerSummary> {
  const summary = (await ctx.deps.subscribers.trackedTickers(ctx.deps.config.tickers)).find((t) => t.ticker === ticker);
  if (!summary) throw new UnknownTickerError(ticker);
  return summary;
}

/**
 * The old notification service's endpoints, in the old clients' shapes (query
 * or form `ticker`, a bare array of addresses, a reported signal) and the new ones.
 */
export function registerTickerRoutes(app: ZodApp, ctx: ApiContext): void {
  // The old clients POST /tickers with a form body `ticker=AAPL`: parsed here only.
  void app.register(async (parent) => {
    parent.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body as string)));
    });
    registerTickerRoutesIn(parent.withTypeProvider<ZodTypeProvider>(), ctx);
  });
}

function registerTickerRoutesIn(app: ZodApp, ctx: ApiContext): void {
  app.get(
    '/tickers',
    {
      schema: {
        tags: ['tickers'],
        summary: 'Tracked tickers (configured, added and subscribed) with subscriber counts and last stored date; paged by `limit` and `cursor`',
        querystring: pageQuery.strict(),
      },
    },
    async (request) => {
      const page = pageOfSorted(await ctx.deps.subscribers.trackedTickers(ctx.deps.config.tickers), request.query, {
        of: (t) => ({ ticker: t.ticker }),
        schema: tickerKey,
        isAfter: (t, key) => t.ticker > key.ticker,
      });
      return { tickers: page.items, nextCursor: page.nextCursor };
    },
  );

  app.post(
    '/tickers',
    {
      onRequest: ctx.admin,
      schema: {
        tags: ['tickers'],
        summary: 'Start tracking a ticker (admin): the next daily run ingests and evaluates it. JSON {"ticker"}, a form body ticker=AAPL, or ?ticker=AAPL with an empty body',
        querystring: addTickerQuery,
        body: addTickerBody,
      },
    },
    async (request, reply) => {
      const ticker = request.body?.ticker ?? request.query.ticker;
      if (!ticker) throw new BadInputError('give the ticker: {"ticker": "AAPL"}, a form body ticker=AAPL or ?ticker=AAPL', { field: 'ticker' });
      const created = await ctx.deps.subscribers.trackTicker(ticker, 'api');
      return reply.code(created ? 201 : 200).send({ ticker, tracked: true, created });
    },
  );

  app.get(
    '/tickers/:ticker',
    {
      schema: {
        tags: ['tickers'],
        summary: 'A tracked ticker: subscriber counts (with x-api-key: `emails`, its confirmed subscribers\' addresses, and every subscriber, ' +
          'paged by `limit` and `cursor`) and its latest signals',
        params: tickerParams,
        querystring: tickerQuery,
      },
    },
    async (request) => {
      const admin = isAdmin(request, ctx.deps.config.api.apiKey);
      const { ticker } = request.params;
      const summary = await trackedTicker(ctx, ticker);
      const date = await ctx.deps.subscribers.latestSignalDate(ticker);
      const signals = date ? await ctx.deps.signals.list({ ticker, date }) : [];
      if (!admin) return { ...summary, latestSignals: { date, signals } };
      // Subscribers by address, a page at a time: a ticker may have many.
      const page = pageOfSorted(await ctx.deps.subscribers.list({ ticker }), request.query, {
        of: (s) => ({ email: s.email }),
        schema: emailKey,
        isAfter: (s, key) => s.email > key.email,
      });
      return {
        ...summary,
        latestSignals: { date, signals },
        emails: page.items.filter((s) => s.status === 'confirmed').map((s) => s.email),
        subscriberList: page.items,
        nextCursor: page.nextCursor,
      };
    },
  );

  app.put(
    '/tickers/:ticker',
    {
      onRequest: ctx.admin,
      schema: {
        tags: ['tickers'],
        summary: 'Add subscribers to a ticker (admin): a JSON array of addresses (the old clients) makes them confirmed subscribers; ' +
          'the object form sends new addresses the opt-in email unless confirmed is true',
        params: tickerParams,
        body: addSubscribersBody,
      },
    },
    async (request) => {
      const { ticker } = request.params;
      const { emails, strategies, confirmed } = Array.isArray(request.body) ? { emails: request.body, strategies: undefined, confirmed: true } : request.body;
      const results = [];
      for (const email of [...new Set(emails)]) {
        const r = await ctx.service.subscribe({ email, tickers: [ticker], strategies, confirmed, today: ctx.today() });
        results.push({ email: r.email, status: r.status, added: r.added, confirmation: r.confirmation });
      }
      return { ticker, subscribers: results };
    },
  );
}
