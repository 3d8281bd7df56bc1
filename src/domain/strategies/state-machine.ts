import type { EnrichedBar } from '../bar';
import { addDays, isIsoDate, type IsoDate } from '../dates';
import { BadInputError } from '../errors';
import { BarSeries, epochDay, isoOfEpochDay } from './bar-series';
import {
  CROSS_DOWN,
  CROSS_UP,
  type AnyStrategy,
  type PreparedStrategy,
  type RawStrategyParams,
  type Signal,
  type SignalInputs,
  type StrategyParams,
  type StrategyState,
} from './strategy';
import { getStrategy } from './registry';

/**
 * The state machine every strategy shares (SEED.md, "SMA-cross strategy"),
 * on day `i` from the second day on:
 * 1. a cross up on day `i` sets `lastCrossUp = date[i]`;
 * 2. a cross down on day `i` sets `lastCrossDown = date[i]` (for strategies
 *    with `crossDownNeedsCountedCrossUp`, only when `lastCrossDown < lastCrossUp`);
 * 3. the signal, from the state after 1-2:
 *    `lastCrossUp > lastCrossDown`: HOLD if `lastStatus` is BUY, else BUY (and `lastStatus` = BUY);
 *    otherwise: SELL if `lastStatus` is BUY (and `lastStatus` = SELL), else WAIT.
 * Initial state on the first day: open (`lastStatus` BUY, `lastCrossUp` =
 * first day - 1 calendar day, `lastCrossDown` = first day - 2) when the
 * strategy says so, else flat (the same with up and down swapped).
 *
 * In the hot loop the state is three numbers (status, and the two cross dates
 * as epoch days), so a day costs a few array reads and no allocation.
 */

/** Signal codes of {@link evaluateSignals}' output. */
export const SIGNAL_CODE = { WAIT: 0, BUY: 1, HOLD: 2, SELL: 3 } as const;
/** Signal of a code (index = code). */
export const SIGNAL_OF_CODE: readonly Signal[] = ['WAIT', 'BUY', 'HOLD', 'SELL'];
// Module-local copies for the hot loop: a bundler may turn imported/exported bindings into getters.
const UP = CROSS_UP;
const DOWN = CROSS_DOWN;
const WAIT_CODE = 0;
const BUY_CODE = 1;
const HOLD_CODE = 2;
const SELL_CODE = 3;

/** The machine's state as numbers: `open` = lastStatus BUY; `up`/`down` = last cross dates as epoch days. */
export interface MachineState {
  open: boolean;
  up: number;
  down: number;
  /** Epoch day of the last evaluated (or initialisation) day. */
  last: number;
}

/** The state on first day `i` of `prepared` (SEED.md "Initial state"), as numbers. */
export function initialMachineState(prepared: PreparedStrategy, i: number): MachineState {
  const day = prepared.series.days[i];
  const open = prepared.initiallyOpen(i);
  return open ? { open, up: day - 1, down: day - 2, last: day } : { open, up: day - 2, down: day - 1, last: day };
}

/**
 * Runs the machine over days `from..to` (inclusive) of `prepared` starting
 * from `state` (mutated to the state after day `to`), writing each day's
 * signal code into `out[i]`. The one strategy path: the daily job's
 * replay and catch-up and the backtest all go through here.
 */
export function evaluateSignals(
  prepared: PreparedStrategy,
  state: MachineState,
  from: number,
  to: number,
  out: Int8Array,
): void {
  const events = prepared.events;
  const days = prepared.series.days;
  const ordered = prepared.crossDownNeedsCountedCrossUp;
  let open = state.open;
  let up = state.up;
  let down = state.down;
  for (let i = from; i <= to; i++) {
    const e = events[i];
    if (e !== 0) {
      if (e & UP) up = days[i];
      if (e & DOWN && (!ordered || down < up)) down = days[i];
    }
    if (up > down) {
      if (open) out[i] = HOLD_CODE;
      else {
        out[i] = BUY_CODE;
        open = true;
      }
    } else if (open) {
      out[i] = SELL_CODE;
      open = false;
    } else out[i] = WAIT_CODE;
  }
  state.open = open;
  state.up = up;
  state.down = down;
  if (to >= from) state.last = days[to];
}

/** The JSON state of a machine state. */
export function toStrategyState(state: MachineState): StrategyState {
  return {
    lastStatus: state.open ? 'BUY' : 'SELL',
    lastCrossUp: isoOfEpochDay(state.up),
    lastCrossDown: isoOfEpochDay(state.down),
    lastDate: isoOfEpochDay(state.last),
  };
}

/** The machine state of a JSON state (validated: it may come from Redis). */
export function fromStrategyState(state: StrategyState): MachineState {
  for (const key of ['lastCrossUp', 'lastCrossDown', 'lastDate'] as const) {
    if (typeof state?.[key] !== 'string' || !isIsoDate(state[key])) {
      throw new BadInputError(`strategy state: ${key} must be a YYYY-MM-DD date (got ${JSON.stringify(state?.[key])})`);
    }
  }
  if (state.lastStatus !== 'BUY' && state.lastStatus !== 'SELL') {
    throw new BadInputError(`strategy state: lastStatus must be BUY or SELL (got ${JSON.stringify(state.lastStatus)})`);
  }
  return {
    open: state.lastStatus === 'BUY',
    up: epochDay(state.lastCrossUp),
    down: epochDay(state.lastCrossDown),
    last: epochDay(state.lastDate),
  };
}

/**
 * The state on first day `i` (SEED.md "Initial state"), as JSON: written with
 * {@link addDays} so that it reads exactly like the old system's record.
 */
export function initialState(prepared: PreparedStrategy, i = 0): StrategyState {
  const first = prepared.series.dates[i];
  const open = prepared.initiallyOpen(i);
  return {
    lastStatus: open ? 'BUY' : 'SELL',
    lastCrossUp: addDays(first, open ? -1 : -2),
    lastCrossDown: addDays(first, open ? -2 : -1),
    lastDate: first,
  };
}

/** One day's outcome: the new state, the signal and the numbers behind it. */
export interface StepResult {
  state: StrategyState;
  signal: Signal;
  inputs: SignalInputs;
}

/** Applies day `i` of `prepared` to `state` (not mutated): the machine for one day. */
export function stepStrategy(prepared: PreparedStrategy, state: StrategyState, i: number): StepResult {
  const machine = fromStrategyState(state);
  const out = new Int8Array(prepared.series.length);
  evaluateSignals(prepared, machine, i, i, out);
  return { state: toStrategyState(machine), signal: SIGNAL_OF_CODE[out[i]], inputs: prepared.inputs(i) };
}

/** A recorded signal: the day, the signal and the numbers behind it. */
export interface SignalRecord {
  date: IsoDate;
  signal: Signal;
  inputs: SignalInputs;
}

/** Options of {@link runStrategy}. */
export interface RunStrategyOptions {
  /**
   * The state before the run (from Redis). Without it the state is
   * initialised on bar `fromIndex` (default 0) and evaluation starts the day after.
   */
  initialState?: StrategyState;
  /**
   * With `initialState`: the first bar to evaluate (default: the first bar
   * after `initialState.lastDate`). Without: the bar the state is initialised on.
   * Earlier bars still feed the indicators.
   */
  fromIndex?: number;
}

/** What {@link runStrategy} returns. */
export interface RunStrategyResult {
  strategy: string;
  version: number;
  params: StrategyParams;
  /** One record per evaluated day, ascending (none for the initialisation day). */
  records: SignalRecord[];
  /** The state after the last bar, to store. */
  state: StrategyState;
}

/**
 * Replays a strategy over `bars` (ascending; for the daily job the stored
 * history of one ticker): initialises a (ticker, strategy) seen for the first
 * time (no `initialState`), or catches up every day after
 * `initialState.lastDate` (missed days included). The same machine as the backtest.
 * Throws BadInputError for an unknown strategy, bad parameters or a bad state.
 */
export function runStrategy(
  strategy: AnyStrategy | string,
  params: RawStrategyParams | undefined,
  bars: readonly EnrichedBar[] | BarSeries,
  options: RunStrategyOptions = {},
): RunStrategyResult {
  const resolved = typeof strategy === 'string' ? getStrategy(strategy) : strategy;
  const parsed = resolved.parseParams(params);
  const series = BarSeries.from(bars);
  const n = series.length;
  let machine: MachineState;
  let from: number;
  const carry = options.initialState?.carry;
  const prepared = resolved.prepare(
    series,
    parsed,
    undefined,
    carry ? { date: options.initialState!.lastDate, values: carry } : undefined,
  );
  if (options.initialState) {
    machine = fromStrategyState(options.initialState);
    from = options.fromIndex ?? series.indexOnOrAfter(addDays(options.initialState.lastDate, 1));
  } else {
    const start = options.fromIndex ?? 0;
    if (start < 0 || start >= n)
      throw new BadInputError(`cannot initialise ${resolved.name}: bar ${start} is outside the ${n} bars`);
    machine = initialMachineState(prepared, start);
    from = start + 1;
  }
  if (from < 0 || from > n) throw new BadInputError(`fromIndex ${from} is outside the ${n} bars`);
  if (options.initialState && from < n && series.dates[from] <= options.initialState.lastDate) {
    // Applying a day twice would move the state machine on twice (BUY, then HOLD).
    throw new BadInputError(
      `the state already covers ${options.initialState.lastDate}: cannot evaluate ${series.dates[from]} again`,
    );
  }
  const out = new Int8Array(n);
  evaluateSignals(prepared, machine, from, n - 1, out);
  const records: SignalRecord[] = new Array(n - from);
  for (let i = from; i < n; i++)
    records[i - from] = { date: series.dates[i], signal: SIGNAL_OF_CODE[out[i]], inputs: prepared.inputs(i) };
  return {
    strategy: resolved.name,
    version: resolved.version,
    params: parsed,
    records,
    state: withCarry(toStrategyState(machine), prepared),
  };
}

/** `state` with the running indicator values of its last day, when the strategy carries any and they are defined. */
function withCarry(state: StrategyState, prepared: PreparedStrategy): StrategyState {
  if (!prepared.carry) return state;
  const i = prepared.series.indexOnOrAfter(state.lastDate);
  const values = prepared.series.dates[i] === state.lastDate ? prepared.carry(i) : undefined;
  return values ? { ...state, carry: values } : state;
}
