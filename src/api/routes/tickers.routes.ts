import crypto from 'node:crypto';
import { UnknownTickerError } from '../../domain/errors';
import type { TickerSummary } from '../../domain/subscriptions';
import { isAdmin } from '../auth';
import type { ApiContext, ZodApp } from '../api-context';
import { addSubscribersBody, addTickerBody, notifyBody, tickerParams } from '../schemas';

/** The tracked ticker `ticker`, or {@link UnknownTickerError} (404). */
async function trackedTicker(ctx: ApiContext, ticker: string): Promise<TickerSummary> {
  const summary = (await ctx.deps.subscribers.trackedTickers(ctx.deps.config.tickers)).find((t) => t.ticker === ticker);
  if (!summary) throw new UnknownTickerError(ticker);
  return summary;
}

/** The old notification service's endpoints. */
export function registerTickerRoutes(app: ZodApp, ctx: ApiContext): void {
  app.get(
    '/tickers',
    { schema: { tags: ['tickers'], summary: 'Tracked tickers (configured, added and subscribed) with subscriber counts and last stored date' } },
    async () => ({ tickers: await ctx.deps.subscribers.trackedTickers(ctx.deps.config.tickers) }),
  );

  app.post(
    '/tickers',
    {
      onRequest: ctx.admin,
      schema: { tags: ['tickers'], summary: 'Start tracking a ticker (admin): the next daily run ingests its history', body: addTickerBody },
    },
    async (request, reply) => {
      const created = await ctx.deps.subscribers.trackTicker(request.body.ticker);
      return reply.code(created ? 201 : 200).send({ ticker: request.body.ticker, tracked: true, created });
    },
  );

  app.get(
    '/tickers/:ticker',
    {
      schema: {
        tags: ['tickers'],
        summary: 'A tracked ticker: subscriber counts (their addresses with x-api-key) and its latest signals',
        params: tickerParams,
      },
    },
    async (request) => {
      const admin = isAdmin(request, ctx.deps.config.api.apiKey);
      const { ticker } = request.params;
      const summary = await trackedTicker(ctx, ticker);
      const date = await ctx.deps.subscribers.latestSignalDate(ticker);
      const signals = date ? await ctx.deps.signals.list({ ticker, date }) : [];
      return {
        ...summary,
        latestSignals: { date, signals },
        ...(admin ? { subscriberList: await ctx.deps.subscribers.list({ ticker }) } : {}),
      };
    },
  );

  app.put(
    '/tickers/:ticker',
    {
      onRequest: ctx.admin,
      schema: {
        tags: ['tickers'],
        summary: 'Add subscribers to a ticker (admin); new addresses get the opt-in email unless confirmed is true',
        params: tickerParams,
        body: addSubscribersBody,
      },
    },
    async (request) => {
      const { ticker } = request.params;
      const { emails, strategies, confirmed } = request.body;
      const results = [];
      for (const email of [...new Set(emails)]) {
        const r = await ctx.service.subscribe({ email, tickers: [ticker], strategies, confirmed, today: ctx.today() });
        results.push({ email: r.email, status: r.status, added: r.added, confirmation: r.confirmation });
      }
      return { ticker, subscribers: results };
    },
  );

  app.post(
    '/notification/:ticker/send',
    {
      onRequest: ctx.admin,
      schema: {
        tags: ['tickers'],
        summary: "Email every confirmed subscriber of a ticker its latest signals (or those of date) (admin); starts notifyTickerWorkflow",
        params: tickerParams,
        body: notifyBody,
      },
    },
    async (request, reply) => {
      const { ticker } = request.params;
      await trackedTicker(ctx, ticker);
      const date = request.body?.date;
      const workflowId = `notify-${ticker}-${date ?? ctx.today()}-${crypto.randomUUID().slice(0, 8)}`;
      const started = await ctx.deps.startWorkflow({ workflowType: 'notifyTickerWorkflow', workflowId, input: { ticker, ...(date ? { date } : {}) } });
      return reply.code(202).send(started);
    },
  );
}
