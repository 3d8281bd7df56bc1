import crypto from 'node:crypto';
import { z } from 'zod';
import { resolveBacktestRequest } from '../../domain/backtest/backtest-record';
import { HEATMAP_METRICS, sweepHeatmap } from '../../domain/backtest/heatmap';
import type { PriceRepository, RecommendationEvidence, RecommendationStore, StoredSweep, SweepReader } from '../../domain/ports';
import type { ApiContext, ZodApp } from '../api-context';
import { HttpError } from '../errors';
import { tickerParams } from '../schemas';
import { BarSeries, getStrategy } from '../../domain/strategies';
import type { EnrichedBar } from '../../domain/bar';
import type { IsoDate } from '../../domain/dates';
import { decodeCursor, pageOf, pageQuery, toPage } from '../pagination';
import { backtestBody } from './backtests.routes';

/**
 * The endpoints of the web app's Backtest playground and Sweep and
 * recommendation pages: a public, rate-limited backtest start, a backtest in
 * a chart's shape (equity against buy-and-hold, the bars, the trades), a
 * sweep as a parameter heatmap, a ticker's walk-forward folds.
 */

/** What these routes read (the routes answer 503 without). */
export interface PlaygroundDeps {
  /** Bars of a backtest's window, for the price chart. */
  bars: Pick<PriceRepository, 'bars'>;
  sweeps: SweepReader;
  recommendations: Pick<RecommendationStore, 'current'>;
  /** Backtests one client (IP) may start per minute without the API key (default 20). */
  startsPerMinute?: number;
}

const backtestId = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, 'not a backtest id').describe('Backtest id (its workflow id)'),
});

const sweepId = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, 'not a sweep id').describe('Sweep id (its workflow id)'),
});

const heatmapQuery = z.strictObject({
  ticker: z.string().max(16).trim().toUpperCase().regex(/^[A-Z][A-Z0-9.-]{0,14}$/, 'not a ticker symbol').optional()
    .describe('One ticker (default: every ticker of the sweep, averaged)'),
  metric: z.enum(HEATMAP_METRICS).optional().describe('Cell metric (default sharpe)'),
  x: z.string().max(40).optional().describe('Parameter on the x axis (default: the first that varies)'),
  y: z.string().max(40).optional().describe('Parameter on the y axis (default: the second that varies)'),
});

const paramsSchema = z.record(z.string(), z.number());
const point = z.object({ time: z.string(), value: z.number() });
const tradeMarker = z.object({
  time: z.string(), side: z.enum(['BUY', 'SELL']), price: z.number(), shares: z.number(), fee: z.number(),
  initial: z.boolean().describe('The first-day purchase of a strategy that starts open (not counted as a trade)'),
});

const chartResponse = z.object({
  id: z.string(),
  ticker: z.string(),
  strategy: z.string(),
  params: paramsSchema,
  startDate: z.string(),
  endDate: z.string(),
  initialCapital: z.number(),
  finalCapital: z.number(),
  returnPct: z.number(),
  buyAndHoldReturnPct: z.number(),
  numTrades: z.number(),
  fees: z.number(),
  options: z.record(z.string(), z.union([z.number(), z.string(), z.boolean()])),
  metrics: z.record(z.string(), z.union([z.number(), z.string()]).nullable()).describe('The metrics table (numbers; dates of the drawdown as YYYY-MM-DD)'),
  equity: z.array(point).describe('Equity at each close'),
  buyAndHold: z.array(point).describe('The same capital bought on the first day and held'),
  bars: z.array(z.object({ time: z.string(), open: z.number(), high: z.number(), low: z.number(), close: z.number() })),
  trades: z.array(tradeMarker),
  overlays: z.array(z.object({ key: z.string(), label: z.string(), points: z.array(z.object({ time: z.string(), value: z.number().nullable() })) }))
    .describe("The strategy's indicator lines over the price (its chart spec's overlays), with the backtest's parameters; null where undefined"),
  rules: z.string().describe("The strategy's rule in words with the backtest's parameters"),
  reportHref: z.string(),
});

/** The rule in words with these parameters ('' for a strategy no longer registered). */
function ruleInWords(strategyName: string, params: Record<string, number>): string {
  try {
    const strategy = getStrategy(strategyName);
    return strategy.rules(strategy.parseParams(params));
  } catch {
    return '';
  }
}

/**
 * The overlays of `strategy`'s chart spec with `params`, over the bars from
 * `from` on (the history before it feeds the averages), as the strategy
 * computed them.
 */
function overlayLines(history: readonly EnrichedBar[], strategyName: string, params: Record<string, number>, from: IsoDate) {
  const strategy = getStrategy(strategyName);
  const parsed = strategy.parseParams(params);
  const spec = strategy.chart(parsed);
  if (spec.overlays.length === 0 || history.length === 0) return [];
  const series = BarSeries.from(history);
  const prepared = strategy.prepare(series, parsed);
  const start = history.findIndex((b) => b.date >= from);
  return spec.overlays
    .filter((line) => prepared.lines?.[line.key])
    .map((line) => {
      const values = prepared.lines![line.key];
      const points = [];
      for (let i = Math.max(0, start); i < history.length; i++) points.push({ time: history[i].date, value: Number.isFinite(values[i]) ? values[i] : null });
      return { key: line.key, label: line.label, points };
    });
}

const outOfSample = z.object({ returnPct: z.number(), sharpe: z.number().nullable(), maxDrawdownPct: z.number(), trades: z.number() });
const cellSchema = z.object({
  value: z.number().nullable(), params: paramsSchema, tickers: z.number(),
  sharpe: z.number().nullable(), returnPct: z.number(), maxDrawdownPct: z.number(), numTrades: z.number(),
});

const sweepMeta = z.object({
  id: z.string(), strategy: z.string(), grid: z.string(), combos: z.number(), tickers: z.number(),
  from: z.string().nullable(), to: z.string().nullable(), initialCapital: z.number(), status: z.enum(['running', 'completed']),
  startedAt: z.string(), finishedAt: z.string().nullable(),
});

const sweepMetaOf = (sweep: StoredSweep): z.infer<typeof sweepMeta> => ({
  id: sweep.id, strategy: sweep.strategy, grid: sweep.grid, combos: sweep.combos, tickers: sweep.tickers, from: sweep.from, to: sweep.to,
  initialCapital: sweep.initialCapital, status: sweep.status, startedAt: sweep.startedAt, finishedAt: sweep.finishedAt,
});

const heatmapResponse = z.object({
  sweep: sweepMeta,
  tickers: z.array(z.string()).describe('Tickers with results'),
  ticker: z.string().nullable(),
  metric: z.enum(HEATMAP_METRICS),
  varying: z.array(z.string()),
  x: z.string().nullable(),
  y: z.string().nullable(),
  xs: z.array(z.number()),
  ys: z.array(z.number()),
  cells: z.array(z.array(cellSchema.nullable())).describe('cells[yIndex][xIndex]'),
  best: cellSchema.nullable(),
  others: z.string(),
});

const foldSchema = z.object({
  trainFrom: z.string(), trainTo: z.string(), testFrom: z.string(), testTo: z.string(),
  params: paramsSchema.nullable().describe('Chosen on the train window; null: nothing traded enough there (cash for the test window)'),
  train: z.object({ sharpe: z.number().nullable(), returnPct: z.number(), trades: z.number() }).nullable(),
  test: outOfSample,
  buyAndHoldReturnPct: z.number(),
});

const foldsResponse = z.object({
  ticker: z.string(),
  runId: z.string(),
  asOf: z.string(),
  createdAt: z.string(),
  strategy: z.string().nullable(),
  params: paramsSchema.nullable(),
  reason: z.string().nullable(),
  options: z.object({ trainDays: z.number(), testDays: z.number(), stepDays: z.number(), minTrainTrades: z.number(), minTestTrades: z.number() }),
  baseline: outOfSample.nullable(),
  candidates: z.array(z.object({
    strategy: z.string(),
    recommended: z.boolean(),
    eligible: z.boolean(),
    reason: z.string().nullable(),
    outOfSample,
    currentParams: paramsSchema.nullable(),
    folds: z.array(foldSchema),
  })),
});

export function registerPlaygroundRoutes(app: ZodApp, ctx: ApiContext): void {
  const deps = (): PlaygroundDeps => {
    const d = ctx.deps.playground;
    if (!d) throw new HttpError(503, 'unavailable', 'research pages are not configured on this server');
    return d;
  };
  // The shared limiter (Redis-backed in production): every API process counts together.
  const startsLimit = ctx.limits.perClient('playground-backtests', { max: ctx.deps.playground?.startsPerMinute ?? 20, windowSeconds: 60 });

  app.post(
    '/playground/backtests',
    {
      schema: {
        tags: ['playground'],
        summary: 'Start a backtest from the web playground (no key; a few per minute per client); poll GET /backtests/{id}',
        body: backtestBody,
      },
    },
    async (request, reply) => {
      const runs = ctx.deps.backtestRuns;
      const repository = ctx.deps.backtests;
      if (!runs || !repository) throw new HttpError(503, 'unavailable', 'backtests are not configured on this server');
      const checked = await resolveBacktestRequest(request.body, (ticker) => repository.storedRange(ticker));
      // Checked first: a form's mistakes do not use up the allowance.
      await startsLimit(request, reply);
      const id = `backtest-${checked.ticker}-${checked.strategy}-${crypto.randomUUID().slice(0, 8)}`;
      const started = await runs.start(id, { ...request.body, ticker: checked.ticker });
      return reply.code(202).send({ id, status: 'running', runId: started.runId, links: { self: `/backtests/${id}`, chart: `/backtests/${id}/chart`, report: `/backtests/${id}/report` } });
    },
  );

  app.get(
    '/backtests/:id/chart',
    {
      schema: {
        tags: ['backtests'],
        summary: "A completed backtest in a chart's shape: equity and buy-and-hold per day, the window's bars, the fills",
        params: backtestId,
        response: { 200: chartResponse },
      },
    },
    async (request) => {
      const repository = ctx.deps.backtests;
      if (!repository) throw new HttpError(503, 'unavailable', 'backtests are not configured on this server');
      const record = await repository.get(request.params.id, { withEquityCurve: true });
      if (!record) throw new HttpError(404, 'not_found', `no completed backtest ${request.params.id} (unknown, failed or still running: see GET /backtests/{id})`);
      const { dates, equity, close } = record.equityCurve;
      const first = close[0];
      // The whole history up to the window's end: the indicators need the days before it.
      const history = await deps().bars.bars(record.ticker, { to: record.endDate });
      const bars = history.filter((b) => b.date >= record.startDate);
      const fills = [
        ...(record.initialPosition ? [{ ...record.initialPosition, initial: true }] : []),
        ...record.trades.map((t) => ({ ...t, initial: false })),
      ];
      return {
        id: record.id,
        ticker: record.ticker,
        strategy: record.strategy,
        params: record.params,
        startDate: record.startDate,
        endDate: record.endDate,
        initialCapital: record.initialCapital,
        finalCapital: record.finalCapital,
        returnPct: record.returnPct,
        buyAndHoldReturnPct: first > 0 ? (close[close.length - 1] / first - 1) * 100 : 0,
        numTrades: record.numTrades,
        fees: record.fees,
        options: record.options,
        metrics: record.metrics as unknown as Record<string, number | string | null>,
        equity: dates.map((time, i) => ({ time, value: equity[i] })),
        buyAndHold: dates.map((time, i) => ({ time, value: (record.initialCapital * close[i]) / first })),
        bars: bars.map((b) => ({ time: b.date, open: b.open, high: b.high, low: b.low, close: b.close })),
        trades: fills.map((t) => ({ time: t.date, side: t.side, price: t.price, shares: t.shares, fee: t.fee, initial: t.initial })),
        overlays: overlayLines(history, record.strategy, record.params, record.startDate),
        rules: ruleInWords(record.strategy, record.params),
        reportHref: `/backtests/${record.id}/report`,
      };
    },
  );

  app.get(
    '/sweeps',
    {
      schema: {
        tags: ['research'],
        summary: 'Stored sweeps, newest first (paged: ?limit=&cursor=)',
        querystring: pageQuery.strict(),
        response: { 200: pageOf(sweepMeta) },
      },
    },
    async (request) => {
      const { limit, cursor } = request.query;
      const after = cursor === undefined ? undefined : decodeCursor(cursor, z.object({ startedAt: z.string().max(40), id: z.string().max(100) }));
      if (after === null) throw Object.assign(new HttpError(400, 'bad_request', 'cursor: not a cursor of this list'), { field: 'cursor' });
      const rows = await deps().sweeps.listSweeps({ limit: limit + 1, after });
      return toPage(rows.map(sweepMetaOf), limit, (s) => ({ startedAt: s.startedAt, id: s.id }));
    },
  );

  app.get(
    '/sweeps/:id/heatmap',
    {
      schema: {
        tags: ['research'],
        summary: 'A sweep as a parameter heatmap: two parameters on the axes, a metric per cell (one ticker, or every ticker averaged)',
        params: sweepId,
        querystring: heatmapQuery,
        response: { 200: heatmapResponse },
      },
    },
    async (request) => {
      const { sweeps } = deps();
      const sweep = await sweeps.sweep(request.params.id);
      if (!sweep) throw new HttpError(404, 'not_found', `no sweep ${request.params.id}`);
      const { ticker, metric, x, y } = request.query;
      const [tickers, figures] = await Promise.all([sweeps.sweepTickers(sweep.id), sweeps.comboFigures(sweep.id, ticker)]);
      if (ticker && !tickers.includes(ticker)) {
        throw Object.assign(new HttpError(404, 'not_found', `sweep ${sweep.id} has no results for ${ticker}`), { field: 'ticker' });
      }
      const map = sweepHeatmap({ parameterSets: sweep.parameterSets, figures, metric, x, y });
      return { sweep: sweepMetaOf(sweep), tickers, ticker: ticker ?? null, ...map };
    },
  );

  app.get(
    '/recommendations/:ticker/folds',
    {
      schema: {
        tags: ['research'],
        summary: "A ticker's current recommendation with its walk-forward folds per candidate: train/test windows, the choice made on train, its out-of-sample result against buy-and-hold",
        params: tickerParams,
        response: { 200: foldsResponse },
      },
    },
    async (request) => {
      const { ticker } = request.params;
      const [current] = await deps().recommendations.current([ticker]);
      if (!current) throw new HttpError(404, 'not_found', `no recommendation for ${ticker} yet (run: algo recommend --tickers ${ticker})`);
      const evidence = current.evidence as RecommendationEvidence;
      return {
        ticker: current.ticker,
        runId: current.runId,
        asOf: current.asOf,
        createdAt: current.createdAt,
        strategy: current.strategy,
        params: current.params,
        reason: current.reason,
        options: evidence.options,
        baseline: evidence.baseline,
        candidates: evidence.candidates.map((c) => ({
          strategy: c.strategy,
          recommended: c.strategy === current.strategy,
          eligible: c.eligible,
          reason: c.reason ?? null,
          outOfSample: c.outOfSample,
          currentParams: c.currentParams,
          folds: c.windows,
        })),
      };
    },
  );
}
