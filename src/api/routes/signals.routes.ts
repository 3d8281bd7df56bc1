import crypto from 'node:crypto';
import type { ApiContext, ZodApp } from '../api-context';
import { z } from 'zod';
import { cursorKey, toPage } from '../pagination';
import { dailyRunBody, signalsQuery } from '../schemas';

/** The cursor key of a signal: its primary key. */
const signalKey = z.object({ date: z.string().max(10), ticker: z.string().max(40), strategy: z.string().max(100) });

/** Recorded signals, daily runs and health. */
export function registerSignalRoutes(app: ZodApp, ctx: ApiContext): void {
  app.get(
    '/signals',
    {
      schema: {
        tags: ['signals'],
        summary: 'Recorded signals with the numbers behind them, ascending by date (give date, from or ticker); ' +
          'paged: `limit` (default 500, at most 5000) and `cursor` (the `nextCursor` of the previous page); `count` is the page\'s',
        querystring: signalsQuery,
      },
    },
    async (request) => {
      const { limit, cursor, ...filter } = request.query;
      const after = cursorKey(cursor, signalKey);
      const rows = await ctx.deps.signals.list({ ...filter, after, limit: limit + 1 });
      const page = toPage(rows, limit, (s) => ({ date: s.date, ticker: s.ticker, strategy: s.strategy }));
      return { count: page.items.length, signals: page.items, nextCursor: page.nextCursor };
    },
  );

  app.post(
    '/runs/daily',
    {
      onRequest: ctx.admin,
      schema: { tags: ['runs'], summary: 'Start a daily run (admin): ingestion, strategies, signals, emails', body: dailyRunBody },
    },
    async (request, reply) => {
      const date = request.body?.date;
      const tickers = request.body?.tickers;
      const workflowId = `daily-manual-${date ?? ctx.today()}-${crypto.randomUUID().slice(0, 8)}`;
      const started = await ctx.deps.startWorkflow({
        workflowType: 'dailyRunWorkflow',
        workflowId,
        input: { ...(date ? { date } : {}), ...(tickers ? { tickers: [...new Set(tickers)] } : {}) },
      });
      return reply.code(202).send(started);
    },
  );

  app.get('/health', { schema: { tags: ['health'], summary: 'Liveness and database reachability' } }, async (_request, reply) => {
    try {
      await ctx.deps.healthCheck?.();
      return { status: 'ok' };
    } catch {
      return reply.code(503).send({ status: 'unavailable', message: 'database unreachable' });
    }
  });
}
