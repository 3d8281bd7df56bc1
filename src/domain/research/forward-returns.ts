import type { IsoDate } from '../dates';
import { BarSeries } from '../strategies/bar-series';
import { evaluateSignals, initialMachineState, SIGNAL_CODE } from '../strategies/state-machine';
import type { AnyStrategy, StrategyParams } from '../strategies/strategy';

/*
 * What happened after a signal: the close some trading days later against the
 * close of the signal's day. A BUY "hit" when the close rose, a SELL when it
 * fell; a flat close is no hit. Only what the stored bars show: a horizon past
 * the last bar has no return (null), never a guess.
 */

/** Trading-day horizons of forward returns and hit rates (a week, a month, a quarter). */
export const FORWARD_HORIZONS: readonly number[] = [5, 20, 60];

/** The close `days` trading days after a signal and the return to it; nulls when the bars end before. */
export interface ForwardReturn {
  days: number;
  date: IsoDate | null;
  close: number | null;
  /** (close after / close of the signal's day - 1) x 100. */
  returnPct: number | null;
}

/** A BUY or SELL signal with what followed it. */
export interface SignalOutcome {
  signal: 'BUY' | 'SELL';
  forward: readonly ForwardReturn[];
}

/** Hit rate of many signals at one horizon. */
export interface HorizonStats {
  days: number;
  /** Signals whose horizon the bars reach (the others are not counted). */
  signals: number;
  /** BUYs followed by a higher close plus SELLs followed by a lower one. */
  hits: number;
  /** hits / signals; null without signals. */
  hitRate: number | null;
  /** Mean return in the signal's direction (a SELL's return counted negated), in percent; null without signals. */
  meanEdgePct: number | null;
}

/** Forward returns from bar `index` of `series` (ascending dates and closes) at each horizon. */
export function forwardReturns(
  series: { dates: readonly IsoDate[]; close: ArrayLike<number> },
  index: number,
  horizons: readonly number[] = FORWARD_HORIZONS,
  /** Bars at or after this index do not exist for the computation (a cut-off: no look-ahead). */
  end = series.dates.length,
): ForwardReturn[] {
  const base = series.close[index];
  return horizons.map((days) => {
    const j = index + days;
    if (index < 0 || j >= end || !(base > 0)) return { days, date: null, close: null, returnPct: null };
    const close = series.close[j];
    return { days, date: series.dates[j], close, returnPct: (close / base - 1) * 100 };
  });
}

/** True when the move after `signal` went its way (BUY up, SELL down); null without a return. */
export function isHit(signal: 'BUY' | 'SELL', returnPct: number | null): boolean | null {
  if (returnPct === null) return null;
  return signal === 'BUY' ? returnPct > 0 : returnPct < 0;
}

/** Hit rate and mean directional return per horizon of `outcomes`. */
export function hitRates(
  outcomes: readonly SignalOutcome[],
  horizons: readonly number[] = FORWARD_HORIZONS,
): HorizonStats[] {
  return horizons.map((days, h) => {
    let signals = 0;
    let hits = 0;
    let edge = 0;
    for (const o of outcomes) {
      const r = o.forward[h]?.returnPct ?? null;
      if (r === null) continue;
      signals++;
      if (isHit(o.signal, r)) hits++;
      edge += o.signal === 'BUY' ? r : -r;
    }
    return {
      days,
      signals,
      hits,
      hitRate: signals ? hits / signals : null,
      meanEdgePct: signals ? edge / signals : null,
    };
  });
}

/** What a backtest of the rules showed before a date: the same statistics over the strategy's own BUYs and SELLs. */
export interface BacktestPromise {
  /** First and last bar used; null without bars before the cut-off. */
  from: IsoDate | null;
  to: IsoDate | null;
  buys: number;
  sells: number;
  horizons: HorizonStats[];
}

/**
 * The forward hit rates a strategy's signals had over the bars before
 * `before` (exclusive): the strategy replayed from the first bar, every BUY
 * and SELL it gave, each judged only on bars before the cut-off. This is
 * what a backtest promised when the tracked signals started, with nothing
 * of the tracked period in it.
 */
export function backtestPromise(input: {
  bars: BarSeries;
  strategy: AnyStrategy;
  params: StrategyParams;
  before: IsoDate;
  horizons?: readonly number[];
}): BacktestPromise {
  const horizons = input.horizons ?? FORWARD_HORIZONS;
  const series = input.bars;
  const end = series.indexOnOrAfter(input.before);
  if (end === 0) return { from: null, to: null, buys: 0, sells: 0, horizons: hitRates([], horizons) };
  const prepared = input.strategy.prepare(series, input.params);
  const codes = new Int8Array(series.length);
  const state = initialMachineState(prepared, 0);
  if (end > 1) evaluateSignals(prepared, state, 1, end - 1, codes);
  const outcomes: SignalOutcome[] = [];
  let buys = 0;
  let sells = 0;
  for (let i = 1; i < end; i++) {
    const code = codes[i];
    if (code !== SIGNAL_CODE.BUY && code !== SIGNAL_CODE.SELL) continue;
    const signal = code === SIGNAL_CODE.BUY ? 'BUY' : 'SELL';
    if (signal === 'BUY') buys++;
    else sells++;
    outcomes.push({ signal, forward: forwardReturns(series, i, horizons, end) });
  }
  return { from: series.dates[0], to: series.dates[end - 1], buys, sells, horizons: hitRates(outcomes, horizons) };
}
