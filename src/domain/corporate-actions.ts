import type { Bar } from './bar';
import type { IsoDate } from './dates';

/**
 * A split and/or a cash dividend of one ticker on one day (its ex-date), as
 * the provider reported it. One record per (ticker, date).
 */
export interface CorporateAction {
  date: IsoDate;
  /**
   * Shares after per share before (2 = 2-for-1, 0.1 = 1-for-10); 1 when the
   * day had no split. Prices before this date are divided by it.
   */
  splitFactor: number;
  /** Cash dividend per share as paid that day (not adjusted); 0 when none. */
  dividend: number;
  /**
   * True when the factor is not a ratio of small whole numbers (1.589): most
   * likely a spin-off the provider reports as a split. It is adjusted like a
   * split all the same (the price drop is real for the holder of the parent
   * only), and flagged so that a human can look.
   */
  spinOff: boolean;
}

/** A split as the ingestion reports it. */
export interface SplitEvent {
  date: IsoDate;
  factor: number;
  spinOff: boolean;
}

/** Largest denominator (and, for reverse splits, numerator) of a split ratio that counts as a regular split. */
const MAX_RATIO_TERM = 10;
/** Relative distance within which a provider's factor is that ratio (Alpha Vantage writes 7-for-1 as 7.00000700001). */
const RATIO_TOLERANCE = 1e-5;

/** `x` as p/q with q <= 10 when it is within the tolerance of one, else null. */
function smallRatio(x: number): number | null {
  for (let q = 1; q <= MAX_RATIO_TERM; q++) {
    const p = Math.round(x * q);
    if (p >= 1 && Math.abs(p / q - x) <= RATIO_TOLERANCE * x) return p / q;
  }
  return null;
}

/**
 * A provider's split coefficient as a split: a ratio of small whole numbers
 * (2, 3/2, 7, 1/10, 1/20) is snapped to that ratio (7.00000700001 is 7);
 * anything else (1.589) is kept as given and flagged as a likely spin-off.
 * `raw` must be a positive number.
 */
export function normalizeSplitFactor(raw: number): { factor: number; spinOff: boolean } {
  if (raw === 1) return { factor: 1, spinOff: false };
  const forward = smallRatio(raw);
  if (forward !== null) return { factor: forward, spinOff: false };
  const reverse = smallRatio(1 / raw);
  if (reverse !== null) return { factor: 1 / reverse, spinOff: false };
  return { factor: raw, spinOff: true };
}

/** The action a day's cells stand for, or null when the day has neither a split nor a dividend. */
export function corporateActionOf(date: IsoDate, splitCoefficient: number, dividend: number): CorporateAction | null {
  if (splitCoefficient === 1 && dividend === 0) return null;
  const { factor, spinOff } = normalizeSplitFactor(splitCoefficient);
  return { date, splitFactor: factor, dividend, spinOff };
}

/** The splits among `actions` (factor other than 1), as reported. */
export function splitsOf(actions: readonly CorporateAction[]): SplitEvent[] {
  return actions
    .filter((a) => a.splitFactor !== 1)
    .map((a) => ({ date: a.date, factor: a.splitFactor, spinOff: a.spinOff }));
}

/**
 * Back-adjusts `bars` (ascending, raw as traded) for the splits in `actions`:
 * a bar's open, high, low and close are divided, and its volume multiplied
 * (rounded to a whole share count), by the product of the split factors
 * dated after it, so the series has no jump on a split's ex-date (the
 * ex-date's own prices are already post-split). An adjusted bar keeps its
 * raw close in `rawClose` and the factor in `splitFactor`; a bar with no
 * later split is returned as it is. `adjClose` is the provider's own
 * adjusted close and is kept, except where the source gave none (it then
 * equals the raw close) and it is divided too.
 */
export function adjustForSplits(bars: readonly Bar[], actions: readonly CorporateAction[]): Bar[] {
  const splits = actions
    .filter((a) => a.splitFactor !== 1)
    .sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
  if (splits.length === 0) return bars.slice();
  const out = new Array<Bar>(bars.length);
  let factor = 1;
  let next = splits.length - 1;
  for (let i = bars.length - 1; i >= 0; i--) {
    const bar = bars[i];
    // Splits dated after this bar apply to it; walking backwards, each one joins once.
    while (next >= 0 && splits[next].date > bar.date) factor *= splits[next--].splitFactor;
    if (factor === 1) {
      out[i] = bar;
      continue;
    }
    out[i] = {
      date: bar.date,
      open: bar.open / factor,
      high: bar.high / factor,
      low: bar.low / factor,
      close: bar.close / factor,
      adjClose: bar.adjClose === bar.close ? bar.close / factor : bar.adjClose,
      volume: Math.round(bar.volume * factor),
      rawClose: bar.close,
      splitFactor: factor,
    };
  }
  return out;
}
