import type { EnrichedBar } from '../bar';
import type { IsoDate } from '../dates';
import { BarSeries } from './bar-series';
import { evaluateSignals, initialMachineState, SIGNAL_OF_CODE } from './state-machine';
import type { AnyStrategy, PreparedStrategy, RawStrategyParams, StrategyParams } from './strategy';

/** One day where the strategy said something else once the later bars were gone. */
export interface LookAheadDifference {
  index: number;
  date: IsoDate;
  /** What differs: the signal, the day's events, the initial position, or an input (named by `key`). */
  what: 'signal' | 'events' | 'initially open' | 'input';
  key?: string;
  /** With the whole series. */
  whole: unknown;
  /** With only the bars up to that day (or, for the warm-up, with the history cut). */
  truncated: unknown;
}

/** How many bars of history a strategy needs before its days equal a whole-history evaluation. */
export interface WarmUpReport {
  /** The cut series starts at this bar of the whole one. */
  cutAt: number;
  /** Bars of the cut series before the first day from which every later day equals the whole series. */
  needed: number;
  /** False when days still differ at the end (recursive indicators): only an infinite lookback covers it. */
  converges: boolean;
  /** The strategy's `lookback` with these parameters. */
  declared: number;
  /** `declared >= needed` (and infinite when it never converges). */
  ok: boolean;
}

/** What {@link checkLookAhead} found for one series. */
export interface LookAheadReport {
  strategy: string;
  params: StrategyParams;
  bars: number;
  /** Days evaluated twice (every day after the first). */
  daysChecked: number;
  /** Days whose signal, events or inputs differ when the later bars are removed. */
  differingDays: number;
  /** The first of them (null: no look-ahead on this series). */
  firstDifference: LookAheadDifference | null;
  warmUp: WarmUpReport;
  /** No look-ahead and a sufficient declared lookback. */
  ok: boolean;
}

const same = (a: unknown, b: unknown): boolean => Object.is(a, b);

/** The first thing that differs on day `i` of `a` (whole) and day `j` of `b`, or null. */
function dayDifference(
  a: PreparedStrategy,
  i: number,
  b: PreparedStrategy,
  j: number,
  initially: boolean,
): Omit<LookAheadDifference, 'index' | 'date'> | null {
  if (j > 0 && a.events[i] !== b.events[j]) return { what: 'events', whole: a.events[i], truncated: b.events[j] };
  if (initially && a.initiallyOpen(i) !== b.initiallyOpen(j)) {
    return { what: 'initially open', whole: a.initiallyOpen(i), truncated: b.initiallyOpen(j) };
  }
  const x = a.inputs(i);
  const y = b.inputs(j);
  for (const key of new Set([...Object.keys(x), ...Object.keys(y)])) {
    if (!same(x[key], y[key])) return { what: 'input', key, whole: x[key], truncated: y[key] };
  }
  return null;
}

/**
 * Proves (on one series) that a strategy does not look ahead: every day is
 * evaluated twice, once with the whole series and once with only the bars up
 * to that day, and any day whose signal, events, initial position or inputs
 * differ is reported (the first one in full). Then the history is cut at
 * `cutAt` (default a third of the series) to measure how many warm-up bars
 * the strategy needs before its days equal the whole-history ones: its
 * declared `lookback` must be at least that. Quadratic in the series length
 * (a strategy is prepared once per day): meant for checks, not for the daily run.
 */
export function checkLookAhead(
  strategy: AnyStrategy,
  rawParams: RawStrategyParams | undefined,
  bars: readonly EnrichedBar[],
  options: { cutAt?: number } = {},
): LookAheadReport {
  const params = strategy.parseParams(rawParams);
  const n = bars.length;
  const whole = strategy.prepare(BarSeries.from(bars), params);
  const wholeSignals = new Int8Array(n);
  if (n > 0) evaluateSignals(whole, initialMachineState(whole, 0), 1, n - 1, wholeSignals);

  let differingDays = 0;
  let firstDifference: LookAheadDifference | null = null;
  for (let i = 0; i < n; i++) {
    const truncated = strategy.prepare(BarSeries.from(bars.slice(0, i + 1)), params);
    let difference = dayDifference(whole, i, truncated, i, i === 0);
    if (!difference && i > 0) {
      const signals = new Int8Array(i + 1);
      evaluateSignals(truncated, initialMachineState(truncated, 0), 1, i, signals);
      if (signals[i] !== wholeSignals[i]) {
        const [a, b] = [SIGNAL_OF_CODE[wholeSignals[i]], SIGNAL_OF_CODE[signals[i]]];
        difference = { what: 'signal', whole: a, truncated: b };
      }
    }
    if (difference) {
      differingDays++;
      firstDifference ??= { index: i, date: bars[i].date, ...difference };
    }
  }

  const cutAt = Math.min(Math.max(options.cutAt ?? Math.floor(n / 3), 0), Math.max(n - 1, 0));
  const cut = strategy.prepare(BarSeries.from(bars.slice(cutAt)), params);
  let lastDiffering = -1;
  for (let j = 0; j + cutAt < n; j++) if (dayDifference(whole, j + cutAt, cut, j, false)) lastDiffering = j;
  const converges = lastDiffering < n - cutAt - 1;
  const declared = strategy.lookback(params);
  const needed = lastDiffering + 1;
  const warmUp = { cutAt, needed, converges, declared, ok: converges ? declared >= needed : declared === Infinity };
  return {
    strategy: strategy.name,
    params,
    bars: n,
    daysChecked: Math.max(n - 1, 0),
    differingDays,
    firstDifference,
    warmUp,
    ok: differingDays === 0 && warmUp.ok,
  };
}

/**
 * Why `report` refuses its strategy, in one line (the first day that looks
 * ahead, else a declared lookback shorter than the warm-up), or null when it
 * passes: what a refused plugin or rule is told when it is loaded or saved.
 */
export function lookAheadRefusal(report: LookAheadReport): string | null {
  const d = report.firstDifference;
  if (d) {
    const what = d.what === 'input' ? `input ${d.key}` : d.what;
    return (
      `looks ahead: first on ${d.date} (${report.differingDays} of ${report.daysChecked} days differ): ` +
      `its ${what} is ${JSON.stringify(d.whole)} with the whole series ` +
      `and ${JSON.stringify(d.truncated)} with only the bars up to that day`
    );
  }
  const w = report.warmUp;
  // A finite lookback longer than the cut series cannot be measured on this series: not a refusal.
  if (w.ok || (!w.converges && w.declared >= report.bars - w.cutAt)) return null;
  return w.converges
    ? `declares a lookback of ${w.declared} bars but needs ${w.needed} bars of warm-up`
    : `declares a lookback of ${w.declared} bars but its days never equal a whole-history evaluation ` +
        `(a recursive indicator): declare Infinity`;
}
