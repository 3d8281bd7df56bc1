import type { EnrichedBar, Indicators } from '../bar';
import { BadInputError } from '../errors';
import type { IsoDate } from '../dates';

/** Moving-average periods that have a stored column on every bar. */
const STORED_SMA: Readonly<Record<number, keyof Indicators>> = {
  7: 'sma7',
  21: 'sma21',
  50: 'sma50',
  100: 'sma100',
  200: 'sma200',
};

/** Options of {@link BarSeries.from}. */
export interface BarSeriesOptions {
  /**
   * Read the stored indicator columns (sma7..sma200, macd) when a strategy
   * asks for one of their periods (default true). False computes everything
   * from the closes (to compare the two paths).
   */
  useStoredIndicators?: boolean;
}

/**
 * One ticker's bars as columns (typed arrays, `NaN` where a value is
 * undefined, so every comparison with it is false, as SEED.md requires),
 * with a cache of derived indicators: in a parameter sweep each distinct
 * moving average is computed once per ticker, whatever the number of
 * parameter sets that use it.
 */
export class BarSeries {
  readonly length: number;
  readonly dates: readonly IsoDate[];
  /** Days since 1970-01-01, for date comparisons without strings. */
  readonly days: Int32Array;
  readonly open: Float64Array;
  readonly high: Float64Array;
  readonly low: Float64Array;
  readonly close: Float64Array;
  readonly useStoredIndicators: boolean;
  private readonly cache = new Map<string, unknown>();

  private constructor(
    private readonly bars: readonly EnrichedBar[],
    options: BarSeriesOptions,
  ) {
    const n = bars.length;
    this.length = n;
    this.useStoredIndicators = options.useStoredIndicators ?? true;
    const dates = new Array<IsoDate>(n);
    this.days = new Int32Array(n);
    this.open = new Float64Array(n);
    this.high = new Float64Array(n);
    this.low = new Float64Array(n);
    this.close = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const bar = bars[i];
      dates[i] = bar.date;
      this.days[i] = epochDay(bar.date);
      this.open[i] = bar.open;
      this.high[i] = bar.high;
      this.low[i] = bar.low;
      this.close[i] = bar.close;
      if (i > 0 && this.days[i] <= this.days[i - 1]) {
        throw new BadInputError(
          `bars must be ascending by date without duplicates: ${bars[i - 1].date} then ${bar.date}`,
        );
      }
    }
    this.dates = dates;
  }

  /** Columns of `bars` (ascending by date); a BarSeries is returned as is. */
  static from(bars: readonly EnrichedBar[] | BarSeries, options: BarSeriesOptions = {}): BarSeries {
    return bars instanceof BarSeries ? bars : new BarSeries(bars, options);
  }

  /** The value computed by `compute` the first time `key` is asked for, then the same value. */
  memo<T>(key: string, compute: () => T): T {
    if (this.cache.has(key)) return this.cache.get(key) as T;
    const value = compute();
    this.cache.set(key, value);
    return value;
  }

  /** A stored indicator column, `NaN` where null. */
  stored(column: keyof Indicators): Float64Array {
    return this.memo(`stored:${column}`, () => {
      const out = new Float64Array(this.length);
      for (let i = 0; i < this.length; i++) out[i] = this.bars[i][column] ?? NaN;
      return out;
    });
  }

  /**
   * The simple moving average of the close over `period` days: the stored
   * column when there is one (and it is filled in), else computed from the closes.
   */
  sma(period: number): Float64Array {
    const column = STORED_SMA[period];
    if (column && this.hasStored(column, period)) return this.stored(column);
    return this.memo(`sma:${period}`, () => simpleMovingAverage(this.close, period));
  }

  /** The traded volume of each bar. */
  volume(): Float64Array {
    return this.memo('volume', () => Float64Array.from(this.bars, (bar) => bar.volume));
  }

  /** The EMA of the close over `period` days ({@link emaOf}), computed and cached. */
  ema(period: number): Float64Array {
    return this.memo(`ema:${period}`, () => emaOf(this.close, period));
  }

  /**
   * MACD line and signal line: the stored columns for 12/26/9, else computed
   * from the closes with {@link emaOf} (technicalindicators' EMA, like the stored columns).
   */
  macd(fast: number, slow: number, signal: number): { macd: Float64Array; signal: Float64Array } {
    if (fast === 12 && slow === 26 && signal === 9 && this.hasStored('macdSignal', 34)) {
      return { macd: this.stored('macd'), signal: this.stored('macdSignal') };
    }
    return this.memo(`macd:${fast}:${slow}:${signal}`, () => {
      const emaFast = this.ema(fast);
      const emaSlow = this.ema(slow);
      const line = new Float64Array(this.length);
      for (let i = 0; i < this.length; i++) line[i] = emaFast[i] - emaSlow[i];
      return { macd: line, signal: emaOf(line, signal) };
    });
  }

  /** Index of the first bar on or after `date` (`length` when none). */
  indexOnOrAfter(date: IsoDate): number {
    let lo = 0;
    let hi = this.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.dates[mid] < date) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Index of the last bar on or before `date` (-1 when none). */
  indexOnOrBefore(date: IsoDate): number {
    let lo = 0;
    let hi = this.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.dates[mid] <= date) lo = mid + 1;
      else hi = mid;
    }
    return lo - 1;
  }

  /** True when stored indicators are enabled and `column` is filled in where `period` days of history define it. */
  private hasStored(column: keyof Indicators, period: number): boolean {
    if (!this.useStoredIndicators || this.length === 0) return false;
    // A bar source without stored indicators has nulls even where the window is full.
    return this.length < period || this.bars[this.length - 1][column] !== null;
  }
}

/** `null` for an undefined (NaN) value, for JSON records. */
export function orNull(value: number): number | null {
  return value === value ? value : null;
}

/** Days since 1970-01-01 of an ISO date (no Date parsing: this runs once per bar). */
export function epochDay(date: IsoDate): number {
  // Digits read in place (no slices, no Date, no helper closure): this runs once per bar.
  const y =
    (date.charCodeAt(0) - 48) * 1000 +
    (date.charCodeAt(1) - 48) * 100 +
    (date.charCodeAt(2) - 48) * 10 +
    (date.charCodeAt(3) - 48);
  const m = (date.charCodeAt(5) - 48) * 10 + (date.charCodeAt(6) - 48);
  const d = (date.charCodeAt(8) - 48) * 10 + (date.charCodeAt(9) - 48);
  // Days from civil (H. Hinnant's algorithm).
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

/** The ISO date of an epoch day. */
export function isoOfEpochDay(day: number): IsoDate {
  // Civil from days (H. Hinnant's algorithm), no Date: this runs once per bar of a bulk read.
  const z = day + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  return `${y}-${m < 10 ? '0' : ''}${m}-${d < 10 ? '0' : ''}${d}`;
}

/** Closes are summed in millionths, like the stored columns (indicators.ts), so SMAs are exact integer sums. */
const MICRO = 1e6;

/**
 * Simple moving average of `values` (prices) over `period` entries, NaN
 * until the window is full (or while it holds a NaN). Prices are summed as
 * integers of millionths, as `enrichBars` does for the stored columns: the
 * sums are exact, so a value depends only on its window (never on where the
 * series starts) and equals the stored column bit for bit.
 */
export function simpleMovingAverage(values: Float64Array, period: number): Float64Array {
  const n = values.length;
  const out = new Float64Array(n).fill(NaN);
  let sum = 0;
  let count = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v !== v) {
      sum = 0;
      count = 0;
      continue;
    }
    sum += Math.round(v * MICRO);
    count++;
    if (count > period) sum -= Math.round(values[i - period] * MICRO);
    if (count >= period) out[i] = sum / period / MICRO;
  }
  return out;
}

/**
 * Exponential moving average with `k = 2 / (period + 1)`, as
 * technicalindicators (and TA-Lib, and the stored ema12/ema26/macdSignal
 * columns) compute it: first defined on the `period`-th defined value,
 * seeded with the mean of the first `period` values, then
 * `ema = (value - ema) * k + ema`. Leading NaNs are skipped (for the signal
 * line of a MACD line); NaN before the seed.
 */
export function emaOf(values: Float64Array, period: number): Float64Array {
  const n = values.length;
  const out = new Float64Array(n).fill(NaN);
  const k = 2 / (period + 1);
  let ema = 0;
  let count = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v !== v) continue;
    count++;
    if (count < period) ema += v;
    else if (count === period) ema = (ema + v) / period;
    else ema = (v - ema) * k + ema;
    if (count >= period) out[i] = ema;
  }
  return out;
}

/** Population standard deviation over the last `period` values around `mean` (NaN where the mean is). */
export function rollingStdDev(values: Float64Array, mean: Float64Array, period: number): Float64Array {
  const n = values.length;
  const out = new Float64Array(n).fill(NaN);
  for (let i = period - 1; i < n; i++) {
    const m = mean[i];
    if (m !== m) continue;
    let sq = 0;
    for (let k = i - period + 1; k <= i; k++) {
      const d = values[k] - m;
      sq += d * d;
    }
    out[i] = Math.sqrt(sq / period);
  }
  return out;
}

/** Wilder's average gain and loss per day (NaN where undefined) and the RSI of them. */
export interface WilderAverages {
  gain: Float64Array;
  loss: Float64Array;
  rsi: Float64Array;
}

/** Wilder's average gain and loss after one day: what a strategy state carries to go on from that day. */
export interface WilderSeed {
  /** Index of the day the averages are of. */
  index: number;
  gain: number;
  loss: number;
}

/**
 * Wilder's RSI over `period` changes of the close: the first average gain and
 * loss are plain means of the first `period` changes, then
 * `avg = (avg * (period - 1) + x) / period`; RSI = 100 - 100 / (1 + gain / loss),
 * 100 when there was no loss, 50 when nothing moved. NaN for the first `period` days.
 */
export function wilderRsi(close: Float64Array, period: number): Float64Array {
  return wilderAverages(close, period).rsi;
}

/**
 * {@link wilderRsi} with its running averages. With `seed`, the averages of
 * day `seed.index` are the seed's and the days after go on from them (days
 * before are NaN): the same numbers, bit for bit, as over the whole history
 * the seed was taken from, since each day's step reads only the day before.
 */
export function wilderAverages(close: Float64Array, period: number, seed?: WilderSeed): WilderAverages {
  const n = close.length;
  const averages = {
    gain: new Float64Array(n).fill(NaN),
    loss: new Float64Array(n).fill(NaN),
    rsi: new Float64Array(n).fill(NaN),
  };
  let start: number;
  let gain = 0;
  let loss = 0;
  if (seed) {
    if (seed.index < 0 || seed.index >= n) return averages;
    start = seed.index;
    gain = seed.gain;
    loss = seed.loss;
  } else {
    if (n <= period) return averages;
    start = period;
    for (let i = 1; i <= period; i++) {
      const change = close[i] - close[i - 1];
      if (change > 0) gain += change;
      else loss -= change;
    }
    gain /= period;
    loss /= period;
  }
  averages.gain[start] = gain;
  averages.loss[start] = loss;
  averages.rsi[start] = rsiOf(gain, loss);
  for (let i = start + 1; i < n; i++) {
    const change = close[i] - close[i - 1];
    gain = (gain * (period - 1) + (change > 0 ? change : 0)) / period;
    loss = (loss * (period - 1) + (change < 0 ? -change : 0)) / period;
    averages.gain[i] = gain;
    averages.loss[i] = loss;
    averages.rsi[i] = rsiOf(gain, loss);
  }
  return averages;
}

function rsiOf(gain: number, loss: number): number {
  if (loss === 0) return gain === 0 ? 50 : 100;
  return 100 - 100 / (1 + gain / loss);
}

/** Highest of `values` over the `period` entries before each index (excluding it); NaN for the first `period`. */
export function priorHighest(values: Float64Array, period: number): Float64Array {
  const n = values.length;
  const out = new Float64Array(n).fill(NaN);
  for (let i = period; i < n; i++) {
    let max = -Infinity;
    for (let k = i - period; k < i; k++) if (values[k] > max) max = values[k];
    out[i] = max;
  }
  return out;
}

/** Lowest of `values` over the `period` entries before each index (excluding it); NaN for the first `period`. */
export function priorLowest(values: Float64Array, period: number): Float64Array {
  const n = values.length;
  const out = new Float64Array(n).fill(NaN);
  for (let i = period; i < n; i++) {
    let min = Infinity;
    for (let k = i - period; k < i; k++) if (values[k] < min) min = values[k];
    out[i] = min;
  }
  return out;
}
