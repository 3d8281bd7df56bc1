import crypto from 'node:crypto';
import type { ApiContext, ZodApp } from '../api-context';
import { dailyRunBody, signalsQuery } from '../schemas';

/** Recorded signals, daily runs and health. */
export function registerSignalRoutes(app: ZodApp, ctx: ApiContext): void {
  app.get(
    '/signals',
    {
      schema: {
        tags: ['signals'],
        summary: 'Recorded signals with the numbers behind them, ascending by date (give date, from or ticker)',
        querystring: signalsQuery,
      },
    },
    async (request) => {
      const signals = await ctx.deps.signals.list(request.query);
      return { count: signals.length, signals };
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
