import type { ApiContext, ZodApp } from '../api-context';
import { backtestBody, backtestChartResponse, backtestIdParams, backtestQuery } from './backtests.schemas';

/** Report pages are self-contained: no scripts, inline styles, nothing fetched. */
const REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

/**
 * /backtests: ad-hoc backtests. Starting one needs the API key: it occupies
 * the worker, and an open endpoint would let anyone queue unbounded work.
 * Reading a result, its chart or its report does not: it is a cheap read of
 * market-data arithmetic under an unguessable id, and a browser opening a
 * report link cannot send an `x-api-key` header.
 */
export function registerBacktestRoutes(app: ZodApp, ctx: ApiContext): void {
  const { backtests } = ctx;

  app.post(
    '/backtests',
    {
      onRequest: ctx.admin,
      schema: {
        tags: ['backtests'],
        summary: 'Start a backtest (x-api-key): runs backtestWorkflow; poll GET /backtests/{id}',
        security: [{ apiKey: [] }],
        body: backtestBody,
      },
    },
    async (request, reply) => {
      const { id, runId } = await backtests.start(request.body);
      return reply
        .code(202)
        .send({ id, status: 'running', runId, links: { self: `/backtests/${id}`, report: `/backtests/${id}/report` } });
    },
  );

  app.get(
    '/backtests/:id',
    {
      schema: {
        tags: ['backtests'],
        summary:
          'A backtest: 200 with its summary (or its failure: its cause with x-api-key, else a plain sentence), 202 while it runs, 404 unknown',
        params: backtestIdParams,
        querystring: backtestQuery,
      },
    },
    async (request, reply) => {
      const state = await backtests.state(request.params.id, {
        withEquityCurve: request.query.equity === 'true',
        // A failure's own text (an activity's error, a path) only for the admin key (issue 18.6).
        detail: await ctx.isAdmin(request, reply),
      });
      return state.status === 'running' ? reply.code(202).send(state) : state;
    },
  );

  app.get(
    '/backtests/:id/chart',
    {
      schema: {
        tags: ['backtests'],
        summary:
          "A completed backtest in a chart's shape: its summary, equity and buy-and-hold per day, the window's bars, the fills",
        params: backtestIdParams,
        response: { 200: backtestChartResponse },
      },
    },
    async (request) => backtests.chart(request.params.id),
  );

  app.get(
    '/backtests/:id/report',
    {
      schema: {
        tags: ['backtests'],
        summary: "A backtest's HTML report (metrics table and equity chart)",
        params: backtestIdParams,
      },
    },
    async (request, reply) => {
      const body = await backtests.report(request.params.id);
      return reply
        .code(200)
        .header('content-type', 'text/html; charset=utf-8')
        .header('content-security-policy', REPORT_CSP)
        .send(body);
    },
  );
}
