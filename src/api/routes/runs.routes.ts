import type { ApiContext, ZodApp } from '../api-context';
import { pageOf } from '../pagination';
import { dailyRunBody } from '../schemas';
import { runItem, runParams, runQuery, runsQuery } from './research.schemas';
import { errorResponse } from './subscriptions.schemas';

/** /runs: the daily runs, listed (GET /runs) and started by hand (POST /runs/daily), both admin. */
export function registerRunRoutes(app: ZodApp, ctx: ApiContext): void {
  app.get(
    '/runs',
    {
      onRequest: ctx.admin,
      schema: {
        tags: ['runs'],
        summary:
          'Recent daily runs (admin), newest first: status, per-ticker status, stale tickers, emails sent/skipped/failed, Temporal UI link',
        security: [{ apiKey: [] }],
        querystring: runsQuery,
        response: { 200: pageOf(runItem) },
      },
    },
    async (request) => ctx.dailyRuns.list({ limit: request.query.limit, cursor: request.query.cursor }),
  );

  app.get(
    '/runs/:workflowId',
    {
      onRequest: ctx.admin,
      schema: {
        tags: ['runs'],
        summary:
          'One daily run (admin) by workflow id (`daily-<date>` or a scheduled one): its latest run, or `runId`; ' +
          'with the one-line headline `algo run-daily` prints',
        security: [{ apiKey: [] }],
        params: runParams,
        querystring: runQuery,
        response: { 200: runItem, 404: errorResponse },
      },
    },
    async (request) =>
      ctx.dailyRuns.get({
        workflowId: request.params.workflowId,
        ...(request.query.runId ? { runId: request.query.runId } : {}),
      }),
  );

  app.post(
    '/runs/daily',
    {
      onRequest: ctx.admin,
      schema: {
        tags: ['runs'],
        summary:
          'Start a daily run (admin): ingestion, strategies, signals, emails. One run per date at a time ' +
          "(workflow id `daily-<date>`, as `algo run-daily` starts it; 409 while one runs); what the body leaves out comes from the worker's config",
        security: [{ apiKey: [] }],
        body: dailyRunBody,
      },
    },
    async (request, reply) => {
      const { date, tickers } = request.body ?? {};
      const started = await ctx.dailyRuns.start({ ...(date ? { date } : {}), ...(tickers ? { tickers } : {}) });
      return reply.code(202).send({ workflowId: started.workflowId, runId: started.runId });
    },
  );
}
