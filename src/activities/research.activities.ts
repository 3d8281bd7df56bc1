import { Context } from '@temporalio/activity';
import type { EnrichedBar } from '../domain/bar';
import type { IsoDate } from '../domain/dates';
import { BadInputError } from '../domain/errors';
import type { PriceRepository } from '../domain/ports';
import { bestSweepRow, parseGrid, sweepSeries, validateGrid, type SweepRow } from '../domain/backtest/sweep';
import { DEFAULT_RECOMMEND_GRIDS, WALK_FORWARD_DEFAULTS, walkForward, type OutOfSample, type WalkForwardOptions, type WalkForwardResult } from '../domain/backtest/walk-forward';
import { BarSeries, getStrategy, strategyRegistry, type StrategyParams } from '../domain/strategies';

// ---------------------------------------------------------------- ports

/** Bars of many tickers in one read (a sweep batch reads its tickers at once). */
export interface TickerBarsReader {
  /**
   * Bars of each ticker (dated `to` or earlier when given), ascending, with
   * what a backtest reads: date, open, high, low, close (adjClose may repeat
   * close, volume may be 0, indicators may be null: a BarSeries computes them).
   * Tickers without bars are absent.
   */
  barsOfTickers(tickers: readonly string[], range?: { to?: IsoDate }): Promise<Map<string, EnrichedBar[]>>;
}

/** One (ticker, parameter set) summary of a sweep; `combo` is the set's index in the validated grid. */
export interface SweepResultRow {
  ticker: string;
  combo: number;
  params: StrategyParams;
  returnPct: number;
  numTrades: number;
  sharpe: number | null;
  maxDrawdownPct: number;
  finalCapital: number;
}

/** Storage of sweeps and their per-(ticker, parameter set) rows. */
export interface SweepStore {
  /** Record a sweep's start with its valid parameter sets in grid order (idempotent by id). */
  startSweep(input: { id: string; strategy: string; grid: string; parameterSets: readonly StrategyParams[]; tickers: number; from?: IsoDate; to?: IsoDate; initialCapital: number }): Promise<void>;
  /** Store a batch's rows in one statement (`combo` indexes the parameter sets; `params` is not stored again); a retried batch rewrites the same keys. */
  saveSweepResults(sweepId: string, rows: readonly SweepResultRow[]): Promise<void>;
  /** Mark the sweep completed. */
  finishSweep(id: string): Promise<void>;
}

/** A ticker's recommendation from one run, before storage. */
export interface NewRecommendation {
  ticker: string;
  /** The ticker's last bar used. */
  asOf: IsoDate;
  /** Null: nothing recommended (`reason` says why). */
  strategy: string | null;
  params: StrategyParams | null;
  reason: string | null;
  /** The walk-forward evidence: out-of-sample metrics per window, per candidate, and the baseline. */
  evidence: RecommendationEvidence;
}

/** A stored recommendation (one row of the history). */
export interface StoredRecommendation extends Omit<NewRecommendation, 'evidence'> {
  runId: string;
  evidence: unknown;
  /** The newest row of its ticker. */
  current: boolean;
  /** Strategy or parameters differ from the ticker's previous current row (or there was none). */
  changed: boolean;
  previousStrategy: string | null;
  previousParams: StrategyParams | null;
  /** ISO timestamp. */
  createdAt: string;
}

/** A change of recommendation to tell a `recommended` subscriber about. */
export interface RecommendationChange {
  ticker: string;
  strategy: string | null;
  params: StrategyParams | null;
  reason: string | null;
  previousStrategy: string | null;
  previousParams: StrategyParams | null;
}

/** Recommendations in the system of record (history kept, one current row per ticker). */
export interface RecommendationStore {
  /** Store a run's recommendations and make them current (idempotent by (run, ticker)); returns the stored rows. */
  save(input: { runId: string; recommendations: readonly NewRecommendation[] }): Promise<StoredRecommendation[]>;
  /** The current recommendation of each ticker (of `tickers` when given), by ticker. */
  current(tickers?: readonly string[]): Promise<StoredRecommendation[]>;
}

/** The current recommendations in a cache (rebuildable from {@link RecommendationStore.current}). */
export interface RecommendationCache {
  setMany(recommendations: readonly StoredRecommendation[]): Promise<void>;
}

export interface ResearchDependencies {
  prices: Pick<PriceRepository, 'storedTickers'>;
  tickerBars: TickerBarsReader;
  sweeps: SweepStore;
  recommendations: RecommendationStore;
  recommendationCache: RecommendationCache;
}

// ---------------------------------------------------------------- inputs and outputs

/** A validated sweep request. */
export interface SweepPlan {
  strategy: string;
  /** Valid parameter sets per ticker. */
  combos: number;
  /** Sets of the grid the strategy refuses (such as fast >= slow), with the first reason. */
  skipped: number;
  skippedReason?: string;
  tickers: string[];
}

/** Input of {@link ResearchActivities.sweepTickerBatch}. */
export interface SweepBatchInput {
  sweepId: string;
  strategy: string;
  /** `k=a..b:step,...` */
  grid: string;
  tickers: string[];
  from?: IsoDate;
  to?: IsoDate;
  initialCapital?: number;
}

/** A parameter set's headline figures. */
export type SweepBest = Omit<SweepRow, 'finalCapital'>;

/** One ticker's outcome in a sweep: its best parameter set (by Sharpe, then return). */
export interface SweepTickerResult {
  ticker: string;
  status: 'ok' | 'no_data' | 'failed';
  best: SweepBest | null;
  error?: string;
}

/** The candidates of a recommendation run: strategies and their grids. */
export interface RecommendCandidate {
  strategy: string;
  grid: string;
}

/** Input of {@link ResearchActivities.recommendTickerBatch}. */
export interface RecommendBatchInput {
  runId: string;
  tickers: string[];
  candidates: RecommendCandidate[];
  options?: WalkForwardOptions;
}

/** The evidence stored with a recommendation (and shown by `algo recommend`). */
export interface RecommendationEvidence {
  windows: number;
  options: Required<Pick<WalkForwardOptions, 'trainDays' | 'testDays' | 'stepDays' | 'minTrainTrades' | 'minTestTrades'>>;
  baseline: OutOfSample | null;
  candidates: WalkForwardResult['candidates'];
}

/** One ticker's recommendation as a run reports it (the per-window evidence is in Postgres). */
export interface RecommendTickerResult {
  ticker: string;
  status: 'ok' | 'no_data' | 'failed';
  strategy: string | null;
  params: StrategyParams | null;
  reason: string | null;
  outOfSample: OutOfSample | null;
  /** buy_and_hold over the same test windows. */
  baseline: OutOfSample | null;
  /** Differs from the previous current recommendation. */
  changed: boolean;
  error?: string;
}

/** Strategies a recommendation considers by default: every registered one but the buy_and_hold baseline. */
export function defaultRecommendStrategies(): string[] {
  return [...strategyRegistry.keys()].filter((s) => s !== 'buy_and_hold');
}

/**
 * Validate a recommendation's candidates: known strategies (not
 * buy_and_hold, which is the baseline every candidate is judged against),
 * parseable grids with at least one valid set (the default grid when none is
 * given). Throws BadInputError naming the bad one.
 */
export function resolveCandidates(strategies?: readonly string[], grids: Readonly<Record<string, string>> = {}): RecommendCandidate[] {
  const names = strategies?.length ? [...new Set(strategies)] : defaultRecommendStrategies();
  for (const name of Object.keys(grids)) {
    if (!names.includes(name)) throw new BadInputError(`grid given for ${name}, which is not among the strategies (${names.join(', ')})`);
  }
  return names.map((strategy) => {
    getStrategy(strategy);
    if (strategy === 'buy_and_hold') throw new BadInputError('buy_and_hold is the baseline every recommendation must beat, not a candidate');
    const grid = grids[strategy] ?? DEFAULT_RECOMMEND_GRIDS[strategy];
    if (!grid) throw new BadInputError(`no grid for ${strategy}: give one`);
    validateGrid(strategy, parseGrid(grid));
    return { strategy, grid };
  });
}

// ---------------------------------------------------------------- activities

/** Research activities: parameter sweeps and walk-forward recommendations over stored bars. */
export function createResearchActivities(deps: ResearchDependencies) {
  return {
    /** Validate a sweep (strategy, grid) and list its tickers (every stored one when not given). */
    async planSweep(input: { strategy: string; grid: string; tickers?: string[] }): Promise<SweepPlan> {
      const validated = validateGrid(input.strategy, parseGrid(input.grid));
      const tickers = input.tickers?.length ? input.tickers : await deps.prices.storedTickers();
      if (tickers.length === 0) throw new BadInputError('no tickers to sweep: ingest prices first');
      return {
        strategy: validated.strategy, combos: validated.combos.length, skipped: validated.skipped,
        ...(validated.skippedReason ? { skippedReason: validated.skippedReason } : {}), tickers,
      };
    },

    /** Record the sweep with its valid parameter sets (so that rows store only their index). */
    async startSweep(input: { sweepId: string; strategy: string; grid: string; tickers: number; from?: IsoDate; to?: IsoDate; initialCapital?: number }): Promise<void> {
      const { sweepId, ...rest } = input;
      const parameterSets = validateGrid(input.strategy, parseGrid(input.grid)).combos;
      await deps.sweeps.startSweep({ ...rest, id: sweepId, parameterSets, initialCapital: input.initialCapital ?? 1000 });
    },

    async finishSweep(input: { sweepId: string }): Promise<void> {
      await deps.sweeps.finishSweep(input.sweepId);
    },

    /**
     * Sweep one batch of tickers: their bars in one read, every parameter set
     * on each, all rows stored in one insert; returns only the best set per
     * ticker. A ticker's bad input (dates outside its data) fails that ticker only.
     */
    async sweepTickerBatch(input: SweepBatchInput): Promise<SweepTickerResult[]> {
      const { combos } = validateGrid(input.strategy, parseGrid(input.grid));
      const barsByTicker = await deps.tickerBars.barsOfTickers(input.tickers, { to: input.to });
      const rows: SweepResultRow[] = [];
      const results = input.tickers.map((ticker): SweepTickerResult => {
        const bars = barsByTicker.get(ticker);
        if (!bars?.length) return { ticker, status: 'no_data', best: null, error: `no stored prices for ${ticker}` };
        try {
          const swept = sweepSeries({ bars: BarSeries.from(bars), strategy: input.strategy, combos, startDate: input.from, endDate: input.to, initialCapital: input.initialCapital });
          swept.forEach((r, combo) => rows.push({ ticker, combo, ...r }));
          const best = bestSweepRow(swept);
          return { ticker, status: 'ok', best: best && { params: best.params, returnPct: best.returnPct, numTrades: best.numTrades, sharpe: best.sharpe, maxDrawdownPct: best.maxDrawdownPct } };
        } catch (err) {
          if (!(err instanceof BadInputError)) throw err;
          return { ticker, status: 'failed', best: null, error: err.message };
        }
      });
      heartbeat(`swept ${input.tickers.length}`);
      await deps.sweeps.saveSweepResults(input.sweepId, rows);
      return results;
    },

    /** Validate a recommendation run's candidates and list its tickers (every stored one when not given). */
    async planRecommendation(input: { tickers?: string[]; strategies?: string[]; grids?: Record<string, string> }): Promise<{ tickers: string[]; candidates: RecommendCandidate[] }> {
      const candidates = resolveCandidates(input.strategies, input.grids);
      const tickers = input.tickers?.length ? input.tickers : await deps.prices.storedTickers();
      if (tickers.length === 0) throw new BadInputError('no tickers to recommend for: ingest prices first');
      return { tickers, candidates };
    },

    /**
     * Walk-forward recommendation for a batch of tickers (bars read at once),
     * stored in Postgres (history kept, the new rows current) and then in the
     * Redis cache. Returns the headline per ticker; the evidence is stored.
     */
    async recommendTickerBatch(input: RecommendBatchInput): Promise<RecommendTickerResult[]> {
      const candidates = input.candidates.map((c) => ({ strategy: c.strategy, combos: validateGrid(c.strategy, parseGrid(c.grid)).combos }));
      const barsByTicker = await deps.tickerBars.barsOfTickers(input.tickers);
      const fresh: NewRecommendation[] = [];
      const outcome = new Map<string, RecommendTickerResult>();
      for (const ticker of input.tickers) {
        heartbeat(ticker);
        const bars = barsByTicker.get(ticker);
        const empty = { strategy: null, params: null, outOfSample: null, baseline: null, changed: false };
        if (!bars?.length) {
          outcome.set(ticker, { ticker, status: 'no_data', ...empty, reason: `no stored prices for ${ticker}` });
          continue;
        }
        try {
          const result = walkForward({ bars: BarSeries.from(bars), candidates, options: input.options });
          const rec = result.recommendation;
          fresh.push({
            ticker, asOf: bars[bars.length - 1].date, strategy: rec?.strategy ?? null, params: rec?.params ?? null, reason: result.reason ?? null,
            evidence: { windows: result.windows, options: evidenceOptions(input.options), baseline: result.baseline, candidates: result.candidates },
          });
          outcome.set(ticker, {
            ticker, status: 'ok', strategy: rec?.strategy ?? null, params: rec?.params ?? null, reason: result.reason ?? null,
            outOfSample: rec?.outOfSample ?? null, baseline: result.baseline, changed: false,
          });
        } catch (err) {
          if (!(err instanceof BadInputError)) throw err;
          outcome.set(ticker, { ticker, status: 'failed', ...empty, reason: err.message, error: err.message });
        }
      }
      const stored = await deps.recommendations.save({ runId: input.runId, recommendations: fresh });
      for (const s of stored) outcome.get(s.ticker)!.changed = s.changed;
      await deps.recommendationCache.setMany(stored);
      return input.tickers.map((t) => outcome.get(t)!);
    },
  };
}

function evidenceOptions(options: WalkForwardOptions = {}): RecommendationEvidence['options'] {
  const d = WALK_FORWARD_DEFAULTS;
  const testDays = options.testDays ?? d.testDays;
  return {
    trainDays: options.trainDays ?? d.trainDays, testDays, stepDays: options.stepDays ?? testDays,
    minTrainTrades: options.minTrainTrades ?? d.minTrainTrades, minTestTrades: options.minTestTrades ?? d.minTestTrades,
  };
}

/** Heartbeat when running as an activity (also callable outside one, e.g. in the benchmark). */
function heartbeat(details: string): void {
  try {
    Context.current().heartbeat(details);
  } catch {
    // Not in an activity context: nothing to report to.
  }
}

export type ResearchActivities = ReturnType<typeof createResearchActivities>;
