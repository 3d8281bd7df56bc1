import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { ApiContext, ZodApp } from '../api-context';
import { pageOfSorted, pageQuery } from '../pagination';
import { BadInputError } from '../../domain/errors';
import { tickerParams } from '../schemas';
import { chartQuery, chartResponse, MAX_CHART_BARS, stateResponse } from './research.schemas';
import { addSubscribersBody, addTickerBody, addTickerQuery, emailKey, tickerKey, tickerQuery } from './tickers.schemas';

/**
 * The old notification service's endpoints, in the old clients' shapes (query
 * or form `ticker`, a bare array of addresses, a reported signal) and the new ones.
 * The lists answer the one page shape `{ items, nextCursor }`, beside the old
 * clients' keys, kept unchanged: `tickers` of GET /tickers, `emails` and
 * `subscriberList` of GET /tickers/{ticker}.
 */
export function registerTickerRoutes(app: ZodApp, ctx: ApiContext): void {
  // The old clients POST /tickers with a form body `ticker=AAPL`: parsed here only.
  void app.register(async (parent) => {
    // An empty form body (curl -d '', the old script's POST /tickers?ticker=AAPL) is no body: the query names the ticker.
    parent.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
      done(null, body === '' ? null : Object.fromEntries(new URLSearchParams(body as string)));
    });
    registerTickerRoutesIn(parent.withTypeProvider<ZodTypeProvider>(), ctx);
  });

  // The research pages' reads of a ticker (research service).
  app.get(
    '/tickers/:ticker/chart',
    {
      schema: {
        tags: ['research'],
        summary: `Bars of a date window (at most ${MAX_CHART_BARS}) with a strategy's indicators and its recorded BUY/SELL signals as markers`,
        params: tickerParams,
        querystring: chartQuery,
        response: { 200: chartResponse },
      },
    },
    async (request) => ctx.research().tickerChart(request.params.ticker, request.query),
  );
  app.get(
    '/tickers/:ticker/state',
    {
      schema: {
        tags: ['research'],
        summary:
          'Current state per strategy (configured, recommended, recorded), the recommendation with its out-of-sample evidence, latest BUY/SELL signals',
        params: tickerParams,
        response: { 200: stateResponse },
      },
    },
    async (request) => ctx.research().tickerState(request.params.ticker),
  );
}

function registerTickerRoutesIn(app: ZodApp, ctx: ApiContext): void {
  app.get(
    '/tickers',
    {
      schema: {
        tags: ['tickers'],
        summary:
          'Tracked tickers (configured, added and subscribed) with their configured strategies, subscriber counts and ' +
          'last stored date; paged by `limit` and `cursor`',
        querystring: pageQuery.strict(),
      },
    },
    async (request) => {
      const page = pageOfSorted(await ctx.tickers.list(), request.query, {
        of: (t) => ({ ticker: t.ticker }),
        schema: tickerKey,
        isAfter: (t, key) => t.ticker > key.ticker,
      });
      // The page shape; `tickers` (the same items) stays for the old clients.
      return { items: page.items, tickers: page.items, nextCursor: page.nextCursor };
    },
  );

  app.post(
    '/tickers',
    {
      onRequest: ctx.admin,
      schema: {
        tags: ['tickers'],
        summary:
          'Start tracking a ticker (admin): the next daily run ingests and evaluates it. JSON {"ticker"}, a form body ticker=AAPL, or ?ticker=AAPL with an empty body',
        security: [{ apiKey: [] }],
        querystring: addTickerQuery,
        body: addTickerBody,
      },
    },
    async (request, reply) => {
      const ticker = request.body?.ticker ?? request.query.ticker;
      if (!ticker)
        throw new BadInputError('give the ticker: {"ticker": "AAPL"}, a form body ticker=AAPL or ?ticker=AAPL', {
          field: 'ticker',
        });
      const [result] = await ctx.tickers.track([ticker], 'api');
      return reply.code(result.created ? 201 : 200).send(result);
    },
  );

  app.get(
    '/tickers/:ticker',
    {
      schema: {
        tags: ['tickers'],
        summary:
          "A tracked ticker: subscriber counts (with x-api-key: `emails`, its confirmed subscribers' addresses, and every subscriber, " +
          'paged by `limit` and `cursor`) and its latest signals',
        params: tickerParams,
        querystring: tickerQuery,
      },
    },
    async (request, reply) => {
      const { ticker } = request.params;
      const detail = await ctx.tickers.detail(ticker);
      if (!(await ctx.isAdmin(request, reply))) return detail;
      // Subscribers by address, a page at a time: a ticker may have many.
      const page = pageOfSorted(await ctx.tickers.subscribers(ticker), request.query, {
        of: (s) => ({ email: s.email }),
        schema: emailKey,
        isAfter: (s, key) => s.email > key.email,
      });
      // The page shape of its subscribers; `emails` and `subscriberList` stay for the old clients.
      return {
        ...detail,
        items: page.items,
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
        summary:
          'Add subscribers to a ticker (admin): a JSON array of addresses (the old clients) makes them confirmed subscribers; ' +
          'the object form sends new addresses the opt-in email unless confirmed is true',
        security: [{ apiKey: [] }],
        params: tickerParams,
        body: addSubscribersBody,
      },
    },
    async (request) => {
      const { ticker } = request.params;
      // The old clients' bare array: addresses that become confirmed subscribers.
      const { emails, strategies, confirmed } = Array.isArray(request.body)
        ? { emails: request.body, strategies: undefined, confirmed: true }
        : request.body;
      const subscribers = await ctx.tickers.addSubscribers({
        ticker,
        emails,
        strategies,
        confirmed,
        today: ctx.today(),
      });
      return { ticker, subscribers };
    },
  );
}
