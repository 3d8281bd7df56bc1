import { Context } from '@temporalio/activity';
import type { IsoDate } from '../domain/dates';
import { BadInputError } from '../domain/errors';
import type {
  NewRecommendation,
  PriceRepository,
  RecommendationCache,
  RecommendationEvidence,
  RecommendationStore,
  SweepResultRow,
  SweepStore,
  TickerBarsReader,
} from '../domain/ports';
import { resolveCandidates, type RecommendCandidate } from '../domain/backtest/candidates';
import { bestSweepRow, parseGrid, sweepSeries, validateGrid, type SweepRow } from '../domain/backtest/sweep';
import {
  WALK_FORWARD_DEFAULTS,
  walkForward,
  type OutOfSample,
  type WalkForwardOptions,
} from '../domain/backtest/walk-forward';
import { BarSeries, type StrategyParams } from '../domain/strategies';

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

/** Input of {@link ResearchActivities.recommendTickerBatch}. */
export interface RecommendBatchInput {
  runId: string;
  tickers: string[];
  candidates: RecommendCandidate[];
  options?: WalkForwardOptions;
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
        strategy: validated.strategy,
        combos: validated.combos.length,
        skipped: validated.skipped,
        ...(validated.skippedReason ? { skippedReason: validated.skippedReason } : {}),
        tickers,
      };
    },

    /** Record the sweep with its valid parameter sets (so that rows store only their index). */
    async startSweep(input: {
      sweepId: string;
      strategy: string;
      grid: string;
      tickers: number;
      from?: IsoDate;
      to?: IsoDate;
      initialCapital?: number;
    }): Promise<void> {
      const { sweepId, ...rest } = input;
      const parameterSets = validateGrid(input.strategy, parseGrid(input.grid)).combos;
      await deps.sweeps.startSweep({
        ...rest,
        id: sweepId,
        parameterSets,
        initialCapital: input.initialCapital ?? 1000,
      });
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
          const swept = sweepSeries({
            bars: BarSeries.from(bars),
            strategy: input.strategy,
            combos,
            startDate: input.from,
            endDate: input.to,
            initialCapital: input.initialCapital,
          });
          swept.forEach((r, combo) => rows.push({ ticker, combo, ...r }));
          const best = bestSweepRow(swept);
          return {
            ticker,
            status: 'ok',
            best: best && {
              params: best.params,
              returnPct: best.returnPct,
              numTrades: best.numTrades,
              sharpe: best.sharpe,
              maxDrawdownPct: best.maxDrawdownPct,
            },
          };
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
    async planRecommendation(input: {
      tickers?: string[];
      strategies?: string[];
      grids?: Record<string, string>;
    }): Promise<{ tickers: string[]; candidates: RecommendCandidate[] }> {
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
      const candidates = input.candidates.map((c) => ({
        strategy: c.strategy,
        combos: validateGrid(c.strategy, parseGrid(c.grid)).combos,
      }));
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
            ticker,
            asOf: bars[bars.length - 1].date,
            strategy: rec?.strategy ?? null,
            params: rec?.params ?? null,
            reason: result.reason ?? null,
            evidence: {
              windows: result.windows,
              options: evidenceOptions(input.options),
              baseline: result.baseline,
              candidates: result.candidates,
            },
          });
          outcome.set(ticker, {
            ticker,
            status: 'ok',
            strategy: rec?.strategy ?? null,
            params: rec?.params ?? null,
            reason: result.reason ?? null,
            outOfSample: rec?.outOfSample ?? null,
            baseline: result.baseline,
            changed: false,
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
    trainDays: options.trainDays ?? d.trainDays,
    testDays,
    stepDays: options.stepDays ?? testDays,
    minTrainTrades: options.minTrainTrades ?? d.minTrainTrades,
    minTestTrades: options.minTestTrades ?? d.minTestTrades,
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
