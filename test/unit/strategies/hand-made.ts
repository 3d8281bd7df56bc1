import type { EnrichedBar, Indicators } from '../../../src/domain/bar';

const NO_INDICATORS: Indicators = {
  sma7: null,
  sma21: null,
  sma50: null,
  sma100: null,
  sma200: null,
  ema12: null,
  ema26: null,
  macd: null,
  macdSignal: null,
};

/** A hand-made bar: OHLC all equal to `close` unless given, indicators null unless given. */
export function bar(date: string, close: number, fields: Partial<EnrichedBar> = {}): EnrichedBar {
  return {
    date,
    open: close,
    high: close,
    low: close,
    close,
    adjClose: close,
    volume: 1000,
    ...NO_INDICATORS,
    ...fields,
  };
}

/** Consecutive calendar days from `start` (weekends included: the rules do not care). */
export function days(start: string, count: number): string[] {
  const t0 = Date.parse(`${start}T00:00:00Z`);
  return Array.from({ length: count }, (_, i) => new Date(t0 + i * 86_400_000).toISOString().slice(0, 10));
}

/** Bars with only closes (for strategies that compute their indicators). */
export function closesToBars(start: string, closes: readonly number[]): EnrichedBar[] {
  const dates = days(start, closes.length);
  return closes.map((close, i) => bar(dates[i], close));
}
