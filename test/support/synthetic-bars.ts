import fs from 'node:fs';
import path from 'node:path';
import type { Bar } from '../../src/domain/bar';
import { tradingDays } from '../../src/domain/calendar';
import type { IsoDate } from '../../src/domain/dates';
import { enrichBars } from '../../src/domain/indicators';
import { runStrategy } from '../../src/domain/strategies';

/** Synthetic daily bars from `from` (default 2021-01-04) to `to`: a rising sine of period 30 days, shifted by `phase` days. */
export function syntheticBars(to: IsoDate, phase: number, level: number, from: IsoDate = '2021-01-04'): Bar[] {
  return tradingDays(from, to).map((date, i) => {
    const close = Math.round((level + 0.08 * i + 8 * Math.sin((2 * Math.PI * (i + phase)) / 30)) * 10_000) / 10_000;
    return { date, open: close, high: close + 0.5, low: close - 0.5, close, adjClose: close, volume: 1_000_000 + i };
  });
}

/** Synthetic bars whose default `sma_cross` signal on their last day, `to`, is BUY. */
export function barsWithBuyOn(to: IsoDate): Bar[] {
  for (let phase = 0; phase < 30; phase++) {
    const bars = syntheticBars(to, phase, 100);
    const records = runStrategy('sma_cross', {}, enrichBars(bars, [])).records;
    if (records[records.length - 1]?.signal === 'BUY' && records[records.length - 1].date === to) return bars;
  }
  throw new Error(`no phase gives a BUY on ${to}`);
}

/** Write `bars` as `<TICKER>_data.csv` in the S&P 500 files' format (what the csv provider reads). */
export function writeCsv(dir: string, ticker: string, bars: readonly Bar[]): void {
  const lines = bars.map((b) => `${b.date},${b.open},${b.high},${b.low},${b.close},${b.volume},${ticker}`);
  fs.writeFileSync(
    path.join(dir, `${ticker}_data.csv`),
    ['date,open,high,low,close,volume,Name', ...lines].join('\n') + '\n',
  );
}
