import crypto from 'node:crypto';
import { z } from 'zod';
import { resolveCandidates } from '../../domain/backtest/candidates';
import { parseGrid, validateGrid } from '../../domain/backtest/sweep';
import { BadInputError } from '../../domain/errors';
import type { RecommendationEvidence, StoredRecommendation, StoredSweep } from '../../domain/ports';
import type { ApiContext, ZodApp } from '../api-context';
import { HttpError } from '../errors';
import { cursorKey, pageOfSorted, pageQuery, toPage } from '../pagination';
import type { ResearchRuns } from '../research-runs';
import { isoDateSchema, strategyNameSchema, tickerSchema } from '../schemas';

/** POST /sweeps: `algo sweep`'s options as JSON. */
const sweepBody = z.strictObject({
  strategy: strategyNameSchema.describe('A registered strategy, e.g. sma_cross'),
  grid: z.string().min(1).max(500).describe('Parameters to sweep: name=a..b:step,... (also name=a..b, name=value)'),
  tickers: z.array(tickerSchema).min(1).max(1000).optional().describe('Default: every ticker with stored prices'),
  from: isoDateSchema.optional().describe('First day of every backtest'),
  to: isoDateSchema.optional().describe('Last day of every backtest'),
  capital: z.number().positive().max(1e12).optional().describe('Starting cash of every backtest (default 1000)'),
});

/** POST /recommendations: `algo recommend`'s options as JSON. */
const recommendBody = z
  .strictObject({
    tickers: z.array(tickerSchema).min(1).max(1000).optional().describe('Default: every ticker with stored prices'),
    strategies: z.array(strategyNameSchema).min(1).max(20).optional().describe('Candidates (default: all but buy_and_hold, the baseline to beat)'),
  })
  .nullish();

const runId = z.strictObject({ id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, 'not a run id').describe('The run\'s id (its workflow id)') });
const recommendationsQuery = z.strictObject({ ticker: tickerSchema.optional(), ...pageQuery.shape });
const sweepRowKey = z.object({ ticker: z.string().max(40), combo: z.number().int().min(0) });

const sweepMetaOf = (s: StoredSweep) => ({
  id: s.id, strategy: s.strategy, grid: s.grid, combos: s.combos, tickers: s.tickers, from: s.from, to: s.to,
  initialCapital: s.initialCapital, status: s.status, startedAt: s.startedAt, finishedAt: s.finishedAt,
});

/** A current recommendation with the recommended candidate's out-of-sample figures against buy-and-hold. */
function recommendationView(r: StoredRecommendation) {
  const evidence = r.evidence as RecommendationEvidence | null;
  const chosen = evidence?.candidates.find((c) => c.strategy === r.strategy);
  return {
    ticker: r.ticker, strategy: r.strategy, params: r.params, reason: r.reason, asOf: r.asOf, runId: r.runId, createdAt: r.createdAt,
    changed: r.changed, outOfSample: chosen?.outOfSample ?? null, baseline: evidence?.baseline ?? null,
    links: { folds: `/recommendations/${r.ticker}/folds` },
  };
}

/**
 * Sweeps and recommendation runs as the CLI has them (`algo sweep`,
 * `algo recommend`): start one (admin: it occupies the workers), read it, read
 * the current recommendations. The heatmap and folds views are the web app's
 * (playground.routes.ts).
 */
export function registerResearchRunRoutes(app: ZodApp, ctx: ApiContext): void {
  const runs = (): ResearchRuns => {
    if (!ctx.deps.researchRuns) throw new HttpError(503, 'unavailable', 'sweeps and recommendations are not configured on this server (workflow client)');
    return ctx.deps.researchRuns;
  };
  const reads = () => {
    if (!ctx.deps.playground) throw new HttpError(503, 'unavailable', 'sweeps and recommendations are not configured on this server (repository)');
    return ctx.deps.playground;
  };

  app.post(
    '/sweeps',
    {
      onRequest: ctx.admin,
      schema: { tags: ['research'], summary: 'Start a sweep (admin), like algo sweep: one strategy over a parameter grid for many tickers; poll GET /sweeps/{id}', security: [{ apiKey: [] }], body: sweepBody },
    },
    async (request, reply) => {
      const { strategy, grid, tickers, from, to, capital } = request.body;
      // Checked here so that a bad grid is a 400 now, not a failed run later.
      try {
        validateGrid(strategy, parseGrid(grid.trim()));
      } catch (err) {
        if (err instanceof BadInputError && !err.field) throw new BadInputError(err.message, { field: 'grid' });
        throw err;
      }
      if (from && to && from > to) throw new BadInputError(`from ${from} is after to ${to}`, { field: 'from' });
      const id = `sweep-${strategy}-${crypto.randomUUID().slice(0, 8)}`;
      await runs().startSweep(id, { strategy, grid: grid.trim(), ...(tickers ? { tickers: [...new Set(tickers)] } : {}), from, to, capital });
      return reply.code(202).send({ id, status: 'running', links: { self: `/sweeps/${id}`, heatmap: `/sweeps/${id}/heatmap` } });
    },
  );

  app.get(
    '/sweeps/:id',
    {
      schema: {
        tags: ['research'],
        summary: 'A sweep: 202 while it starts, then its stored rows (one per ticker and parameter set, paged by `limit` and `cursor`), or its failure; 404 unknown',
        params: runId,
        querystring: pageQuery.strict(),
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const stored = await reads().sweeps.sweep(id);
      // A sweep still running, or whose row was never written, is known to Temporal only.
      const run = stored?.status !== 'completed' && ctx.deps.researchRuns ? await ctx.deps.researchRuns.sweepStatus(id) : null;
      if (!stored) {
        if (run?.status === 'running') return reply.code(202).send({ id, status: 'running' });
        if (run?.status === 'failed') return { id, status: 'failed', error: run.error };
        throw new HttpError(404, 'not_found', `no sweep ${id}`);
      }
      const { limit, cursor } = request.query;
      const rows = await reads().sweeps.sweepResultsPage(id, { limit: limit + 1, after: cursorKey(cursor, sweepRowKey) });
      const page = toPage(rows, limit, (r) => ({ ticker: r.ticker, combo: r.combo }));
      const status = run?.status === 'failed' ? 'failed' : stored.status;
      return { id, status, ...(run?.status === 'failed' ? { error: run.error } : {}), sweep: sweepMetaOf(stored), ...page };
    },
  );

  app.post(
    '/recommendations',
    {
      onRequest: ctx.admin,
      schema: {
        tags: ['research'],
        summary: 'Start a recommendation run (admin), like algo recommend: walk-forward per ticker, judged out of sample; poll GET /recommendations/runs/{id}',
        security: [{ apiKey: [] }],
        body: recommendBody,
      },
    },
    async (request, reply) => {
      const strategies = request.body?.strategies ? [...new Set(request.body.strategies)] : undefined;
      const tickers = request.body?.tickers ? [...new Set(request.body.tickers)] : undefined;
      try {
        resolveCandidates(strategies);
      } catch (err) {
        if (err instanceof BadInputError && !err.field) throw new BadInputError(err.message, { field: 'strategies' });
        throw err;
      }
      const id = `recommend-${crypto.randomUUID().slice(0, 8)}`;
      await runs().startRecommend(id, { ...(tickers ? { tickers } : {}), ...(strategies ? { strategies } : {}) });
      return reply.code(202).send({ id, status: 'running', links: { self: `/recommendations/runs/${id}`, current: '/recommendations' } });
    },
  );

  app.get(
    '/recommendations/runs/:id',
    {
      schema: { tags: ['research'], summary: 'A recommendation run: 202 while it runs, then its headline per ticker (or its failure); 404 unknown', params: runId },
    },
    async (request, reply) => {
      const { id } = request.params;
      const run = await runs().recommendStatus(id);
      if (!run) throw new HttpError(404, 'not_found', `no recommendation run ${id}`);
      if (run.status === 'running') return reply.code(202).send({ id, status: 'running' });
      if (run.status === 'failed') return { id, status: 'failed', error: run.error };
      return { id, status: 'completed', candidates: run.result.candidates, tickers: run.result.tickers };
    },
  );

  app.get(
    '/recommendations',
    {
      schema: {
        tags: ['research'],
        summary: 'Current recommendations by ticker (one ticker with ?ticker=), with the out-of-sample figures against buy-and-hold; paged by `limit` and `cursor`',
        querystring: recommendationsQuery,
      },
    },
    async (request) => {
      const { ticker, ...page } = request.query;
      const current = (await reads().recommendations.current(ticker ? [ticker] : undefined)).sort((a, b) => (a.ticker < b.ticker ? -1 : a.ticker > b.ticker ? 1 : 0));
      const result = pageOfSorted(current, page, { of: (r) => ({ ticker: r.ticker }), schema: z.object({ ticker: z.string().max(40) }), isAfter: (r, key) => r.ticker > key.ticker });
      return { items: result.items.map(recommendationView), nextCursor: result.nextCursor };
    },
  );
}
