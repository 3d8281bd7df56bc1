import type { ApiContext, ZodApp } from '../api-context';
import { cursorKey, pageOf, toPage } from '../pagination';
import {
  heatmapQuery,
  heatmapResponse,
  sweepBody,
  sweepIdParams,
  sweepListKey,
  sweepMeta,
  sweepPageQuery,
  sweepRowKey,
} from './sweeps.schemas';

/**
 * /sweeps: start a sweep (admin: it occupies the workers) like `algo sweep`,
 * list them, read one (its rows paged), see one as a parameter heatmap.
 */
export function registerSweepRoutes(app: ZodApp, ctx: ApiContext): void {
  const { sweeps } = ctx;

  app.post(
    '/sweeps',
    {
      onRequest: ctx.admin,
      schema: {
        tags: ['research'],
        summary:
          'Start a sweep (admin), like algo sweep: one strategy over a parameter grid for many tickers; poll GET /sweeps/{id}',
        security: [{ apiKey: [] }],
        body: sweepBody,
      },
    },
    async (request, reply) => {
      const { id } = await sweeps.start(request.body);
      return reply
        .code(202)
        .send({ id, status: 'running', links: { self: `/sweeps/${id}`, heatmap: `/sweeps/${id}/heatmap` } });
    },
  );

  app.get(
    '/sweeps',
    {
      schema: {
        tags: ['research'],
        summary: 'Stored sweeps, newest first (paged: ?limit=&cursor=)',
        querystring: sweepPageQuery,
        response: { 200: pageOf(sweepMeta) },
      },
    },
    async (request) => {
      const { limit, cursor } = request.query;
      const rows = await sweeps.list({ limit, after: cursorKey(cursor, sweepListKey) });
      return toPage(rows, limit, (s) => ({ startedAt: s.startedAt, id: s.id }));
    },
  );

  app.get(
    '/sweeps/:id',
    {
      schema: {
        tags: ['research'],
        summary:
          'A sweep: 202 while it starts, then its stored rows (one per ticker and parameter set, paged by `limit` and `cursor`), or its failure; 404 unknown',
        params: sweepIdParams,
        querystring: sweepPageQuery,
      },
    },
    async (request, reply) => {
      const { limit, cursor } = request.query;
      const detail = await ctx.isAdmin(request, reply);
      const sweep = await sweeps.sweep(request.params.id, { limit, after: cursorKey(cursor, sweepRowKey) }, { detail });
      if (sweep.status === 'running' && !('sweep' in sweep)) return reply.code(202).send(sweep);
      if (!('rows' in sweep)) return sweep;
      const { rows, ...rest } = sweep;
      return { ...rest, ...toPage(rows, limit, (r) => ({ ticker: r.ticker, combo: r.combo })) };
    },
  );

  app.get(
    '/sweeps/:id/heatmap',
    {
      schema: {
        tags: ['research'],
        summary:
          'A sweep as a parameter heatmap: two parameters on the axes, a metric per cell (one ticker, or every ticker averaged)',
        params: sweepIdParams,
        querystring: heatmapQuery,
        response: { 200: heatmapResponse },
      },
    },
    async (request) => sweeps.heatmap(request.params.id, request.query),
  );
}
