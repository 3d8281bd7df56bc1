import { Context } from '@temporalio/activity';
import type { IsoDate } from '../domain/dates';
import type { EnrichedBar } from '../domain/bar';
import { BadInputError } from '../domain/errors';
import {
  stateKey,
  type BarWindow,
  type PriceRepository,
  type RecordingRun,
  type SignalRecord,
  type SignalRepository,
  type StoredStrategyState,
  type StrategyPair,
  type StrategyStateStore,
} from '../domain/ports';
import {
  BarSeries,
  getStrategy,
  planLabel,
  runStrategy,
  type AnyStrategy,
  type StrategyParams,
  type StrategyPlan,
  type StrategyState,
} from '../domain/strategies';
import { rebuildStrategyStatesOf, strategyFingerprint, type StrategyStatePorts } from '../domain/strategy-states';

export interface SignalDependencies extends StrategyStatePorts {
  prices: PriceRepository;
  signals: SignalRepository;
  states: StrategyStateStore;
  /** Tickers the daily job tracks: the configured ones plus every subscribed one. */
  trackedTickers(): Promise<string[]>;
}

/** Result of evaluating one ticker. */
export interface TickerEvaluation {
  ticker: string;
  /** `stale`: no bar for the run date (the provider returned nothing, or only older days); `no_data`: no bar at all. */
  status: 'ok' | 'stale' | 'no_data' | 'failed';
  /** Signals newly recorded (catch-up days included). */
  recorded: number;
  /** The ticker's last stored bar on or before the run date (absent when it has none, or the evaluation failed). */
  lastBarDate?: IsoDate;
  error?: string;
}

/** Signals of a run by kind. */
export type SignalCounts = Record<SignalRecord['signal'], number>;

/** What a run reports of its signals: counts of every kind, the BUY and SELL themselves (HOLD and WAIT only counted). */
export interface RunSignalSummary {
  counts: SignalCounts;
  /** BUY and SELL only: what is emailed. */
  signals: RunSignal[];
  /** How many of them this run recorded itself (the others were there before it). */
  newSignals: number;
  /**
   * When this run recorded none of the date's signals: the run that recorded
   * (most of) them, as `workflowId` and `runId` (null: recorded before runs were
   * noted). Absent when this run recorded some, or there are none.
   */
  alreadyRecordedBy?: { workflowId: string | null; runId: string | null };
}

/** A signal as reported by a run (the numbers behind it are in Postgres). */
export interface RunSignal {
  date: IsoDate;
  ticker: string;
  strategy: string;
  signal: SignalRecord['signal'];
}

/** A planned strategy, resolved: its rules, validated parameters, fingerprint and label. */
interface ResolvedPlan {
  strategy: AnyStrategy;
  params: StrategyParams;
  fingerprint: string;
  label: string;
}

/** The plans of one ticker resolved; throws BadInputError for an unknown strategy or bad parameters. */
function resolvePlans(plans: readonly StrategyPlan[]): ResolvedPlan[] {
  return plans.map((plan) => {
    const strategy = getStrategy(plan.name);
    const params = strategy.parseParams(plan.params);
    return { strategy, params, fingerprint: strategyFingerprint(strategy, params), label: planLabel(plan) };
  });
}

/** The stored state of one plan when it was computed with the same rules and parameters, else undefined. */
function currentState(
  stored: ReadonlyMap<string, StoredStrategyState>,
  ticker: string,
  resolved: readonly ResolvedPlan[],
  label: string,
): StrategyState | undefined {
  const plan = resolved.find((r) => r.label === label);
  const previous = stored.get(stateKey(ticker, label));
  return plan && previous?.fingerprint === plan.fingerprint ? previous.state : undefined;
}

/**
 * The bars a ticker's evaluation reads when every one of its strategies has
 * a current state and a bounded lookback: that many bars before (and with)
 * the oldest state's last day, and every day after. Undefined (its whole
 * history) otherwise: a new or changed strategy replays from the first bar,
 * and a recursive indicator (EMA of other parameters, Wilder RSI without the
 * averages its state carries) is only exact over the whole history.
 */
export function barWindowOf(
  ticker: string,
  resolved: readonly ResolvedPlan[],
  stored: ReadonlyMap<string, StoredStrategyState>,
): BarWindow | undefined {
  if (resolved.length === 0) return undefined;
  let through: IsoDate | undefined;
  let before = 0;
  for (const plan of resolved) {
    const state = currentState(stored, ticker, resolved, plan.label);
    if (!state) return undefined;
    const carried = state.carry !== undefined && plan.strategy.carriedLookback;
    const lookback = carried ? plan.strategy.carriedLookback!(plan.params) : plan.strategy.lookback(plan.params);
    if (!Number.isFinite(lookback)) return undefined;
    if (through === undefined || state.lastDate < through) through = state.lastDate;
    before = Math.max(before, Math.ceil(lookback));
  }
  return { ticker, through: through!, before };
}

/** The workflow run this activity works for: noted on the signals it records. */
function recordingRun(): RecordingRun {
  const { workflowId, runId } = Context.current().info.workflowExecution;
  return { workflowId, runId };
}

/** Signal activities: strategies over stored bars, signals to Postgres, state to Redis. */
export function createSignalActivities(deps: SignalDependencies) {
  /**
   * Advance every strategy of one ticker to `date`: a pair seen for the first
   * time replays the whole stored history and records the run date's signal;
   * a known pair steps through every stored day after its last evaluated one
   * (missed days included) and records each. Signals are written before the
   * state, so a crash in between only repeats idempotent work.
   */
  async function evaluateTicker(
    ticker: string,
    bars: readonly EnrichedBar[],
    resolved: readonly ResolvedPlan[],
    stored: ReadonlyMap<string, StoredStrategyState>,
    lastRecorded: ReadonlyMap<string, IsoDate>,
    date: IsoDate,
  ): Promise<TickerEvaluation> {
    if (bars.length === 0) return { ticker, status: 'no_data', recorded: 0 };
    const series = BarSeries.from(bars);
    const toRecord: SignalRecord[] = [];
    const newStates = resolved.map(({ strategy, params, fingerprint, label }) => {
      const initialState = currentState(stored, ticker, resolved, label);
      const run = runStrategy(strategy, params, series, initialState ? { initialState } : {});
      // A replay records the days after the last one Postgres holds (a pair never evaluated: the run date only).
      const last = lastRecorded.get(stateKey(ticker, label));
      const records = initialState
        ? run.records
        : run.records.filter((r) => (last === undefined ? r.date === date : r.date > last));
      for (const r of records) {
        const i = series.indexOnOrAfter(r.date);
        toRecord.push({
          date: r.date,
          ticker,
          strategy: label,
          strategyVersion: strategy.version,
          signal: r.signal,
          close: series.close[i],
          inputs: r.inputs,
        });
      }
      // Kept only when Postgres will confirm it (see statesPostgresConfirms): a first sight of a stale
      // ticker records nothing, and its state would only be forgotten, with a warning, on the next run.
      const lastAfter = records.length > 0 ? records[records.length - 1].date : last;
      if (run.state.lastDate !== lastAfter) return undefined;
      return { strategy: label, value: { fingerprint, state: run.state } };
    });
    const recorded = await deps.signals.record(toRecord, date, recordingRun());
    for (const s of newStates) if (s) await deps.states.advance(ticker, s.strategy, s.value);
    // Without a bar for the run date, strategies only caught up to the last bar there is: said, not hidden.
    const lastBarDate = series.dates[series.length - 1];
    return { ticker, status: lastBarDate === date ? 'ok' : 'stale', recorded, lastBarDate };
  }

  /**
   * The held states that Postgres confirms: a state is trusted only when its
   * last day is the last day recorded for its pair. Redis outlives databases
   * (a database dropped and created again, restored from an older backup
   * without `algo state rebuild`): a state ahead of Postgres would record
   * nothing for days Postgres never saw, so it is forgotten and its pair
   * replayed from the stored history. One behind (a crash between the signals
   * and the state) is replayed too, and simply overwritten.
   */
  async function statesPostgresConfirms(
    pairs: readonly StrategyPair[],
    held: ReadonlyMap<string, StoredStrategyState>,
    lastRecorded: ReadonlyMap<string, IsoDate>,
  ): Promise<Map<string, StoredStrategyState>> {
    const confirmed = new Map<string, StoredStrategyState>();
    const contradicted: StrategyPair[] = [];
    for (const pair of pairs) {
      const key = stateKey(pair.ticker, pair.strategy);
      const value = held.get(key);
      if (!value) continue;
      const last = lastRecorded.get(key);
      if (last === value.state.lastDate) confirmed.set(key, value);
      else if (last === undefined || value.state.lastDate > last) contradicted.push(pair);
    }
    if (contradicted.length > 0) {
      await deps.states.forget(contradicted);
      Context.current().log.warn('strategy states ahead of Postgres forgotten and replayed', {
        count: contradicted.length,
        pairs: contradicted.slice(0, 10).map((p) => `${p.ticker} ${p.strategy}`),
      });
    }
    return confirmed;
  }

  /**
   * The bars each ticker's evaluation needs, in at most two reads: a ticker
   * whose every strategy has a current state reads its declared lookback
   * before the oldest state's last day (see {@link barWindowOf}); a new or
   * stale one, or one with a strategy of unbounded lookback, its whole history.
   */
  async function barsNeeded(
    plans: ReadonlyMap<string, readonly ResolvedPlan[]>,
    stored: ReadonlyMap<string, StoredStrategyState>,
    date: IsoDate,
  ): Promise<Map<string, EnrichedBar[]>> {
    const windows: BarWindow[] = [];
    const whole: string[] = [];
    for (const [ticker, resolved] of plans) {
      const window = barWindowOf(ticker, resolved, stored);
      if (window) windows.push(window);
      else whole.push(ticker);
    }
    const [recent, histories] = await Promise.all([
      deps.prices.recentBarsOfTickers(windows, { to: date }),
      deps.prices.barsOfTickers(whole, { to: date }),
    ]);
    for (const [ticker, bars] of recent) histories.set(ticker, bars);
    return histories;
  }

  return {
    /**
     * A run's signals as it reports them: counts per kind, the BUY and SELL
     * themselves. Every HOLD and WAIT of 505 tickers x 5 strategies x missed
     * days would pass Temporal's payload limit; they stay in Postgres.
     */
    async runSignalSummary(input: { date: IsoDate; tickers: string[] }): Promise<RunSignalSummary> {
      const wanted = new Set(input.tickers);
      const counts: SignalCounts = { BUY: 0, SELL: 0, HOLD: 0, WAIT: 0 };
      const signals: RunSignal[] = [];
      for (const s of await deps.signals.list({ runDate: input.date })) {
        if (!wanted.has(s.ticker)) continue;
        counts[s.signal] += 1;
        if (s.signal === 'BUY' || s.signal === 'SELL')
          signals.push({ date: s.date, ticker: s.ticker, strategy: s.strategy, signal: s.signal });
      }
      const self = recordingRun();
      const byRecorder = await deps.signals.countByRecorder(input.date, input.tickers);
      const ours = (r: RecordingRun | null) => r?.workflowId === self.workflowId && r.runId === self.runId;
      const newSignals = byRecorder.filter((r) => ours(r.recordedBy)).reduce((n, r) => n + r.count, 0);
      if (newSignals > 0 || byRecorder.length === 0) return { counts, signals, newSignals };
      // The run that recorded most of them (the list is oldest first: the first of equals).
      const top = byRecorder.reduce((a, b) => (b.count > a.count ? b : a));
      const alreadyRecordedBy = {
        workflowId: top.recordedBy?.workflowId ?? null,
        runId: top.recordedBy?.runId ?? null,
      };
      return { counts, signals, newSignals, alreadyRecordedBy };
    },

    /** The tickers a daily run covers. */
    async trackedTickers(): Promise<string[]> {
      return deps.trackedTickers();
    },

    /** Evaluate every planned strategy of a batch of tickers up to `date`. One ticker's bad input fails that ticker only. */
    async evaluateStrategies(input: { date: IsoDate; tickers: string[] }): Promise<TickerEvaluation[]> {
      const plans = await deps.strategyPlans(input.tickers);
      const failed = new Map<string, string>();
      const resolved = new Map<string, ResolvedPlan[]>();
      for (const ticker of input.tickers) {
        try {
          resolved.set(ticker, resolvePlans(plans.get(ticker) ?? []));
        } catch (err) {
          if (!(err instanceof BadInputError)) throw err;
          failed.set(ticker, err.message);
        }
      }
      // Every state of the batch in one round trip, then only the bars they need in one or two reads.
      const pairs = [...resolved].flatMap(([ticker, list]) => list.map((r) => ({ ticker, strategy: r.label })));
      const [held, lastRecorded] = await Promise.all([deps.states.getMany(pairs), deps.signals.lastSignalDates(pairs)]);
      const stored = await statesPostgresConfirms(pairs, held, lastRecorded);
      const barsByTicker = await barsNeeded(resolved, stored, input.date);
      const results: TickerEvaluation[] = [];
      for (const ticker of input.tickers) {
        Context.current().heartbeat(ticker);
        const error = failed.get(ticker);
        if (error !== undefined) {
          results.push({ ticker, status: 'failed', recorded: 0, error });
          continue;
        }
        try {
          const bars = barsByTicker.get(ticker) ?? [];
          results.push(await evaluateTicker(ticker, bars, resolved.get(ticker)!, stored, lastRecorded, input.date));
        } catch (err) {
          if (!(err instanceof BadInputError)) throw err; // transient: Temporal retries the batch; the work is idempotent
          results.push({ ticker, status: 'failed', recorded: 0, error: err.message });
        }
      }
      return results;
    },

    /**
     * Forget and recompute the strategy states of one ticker from its stored
     * bars (after its history was rewritten: states computed on the old bars
     * must not carry on). Idempotent.
     */
    async rebuildTickerStrategyStates(input: { ticker: string }): Promise<{ cleared: number; rebuilt: number }> {
      return rebuildStrategyStatesOf(deps, input.ticker);
    },

    /** The latest date with a BUY or SELL signal of `ticker`, or null. */
    async latestSignalDate(input: { ticker: string }): Promise<IsoDate | null> {
      const signals = await deps.signals.list({ ticker: input.ticker, signals: ['BUY', 'SELL'] });
      return signals.length ? signals[signals.length - 1].date : null;
    },

    /** The signals the run of `date` recorded for these tickers (its day's, and missed days it caught up): what a run reports. */
    async runSignals(input: { date: IsoDate; tickers: string[] }): Promise<RunSignal[]> {
      const wanted = new Set(input.tickers);
      const all = await deps.signals.list({ runDate: input.date });
      return all
        .filter((s) => wanted.has(s.ticker))
        .map(({ date, ticker, strategy, signal }) => ({ date, ticker, strategy, signal }));
    },
  };
}

export type SignalActivities = ReturnType<typeof createSignalActivities>;
