import fs from 'node:fs';
import { SMA } from 'technicalindicators';
import { parsePriceCsv } from '../src/adapters/market-data/csv-market-data.provider';
import { validatePriceRows } from '../src/domain/price-validation';
import { enrichBars } from '../src/domain/indicators';
import type { EnrichedBar } from '../src/domain/bar';
import { runBacktest } from '../src/domain/backtest/engine';
import { BarSeries } from '../src/domain/strategies';
import { duration, log, median, num, SEED_AAPL_FILE, since, type BenchRow } from './support';

/** Issue 4 item 9: one 10,000-day backtest in at most this much compute. */
const TARGET_MS = 2;
const CAPITAL = 1000;
/** What vectorbt publishes for this kind of simulation (issue 4), for scale. */
const VECTORBT_EVALS_PER_SECOND = 48e6;

/** The seed AAPL file read and enriched the way ingestion does it. */
function loadSeedBars(): EnrichedBar[] {
  const raw = parsePriceCsv(fs.readFileSync(SEED_AAPL_FILE, 'utf8'), SEED_AAPL_FILE);
  const { bars, rejected } = validatePriceRows(raw, { asOf: '2100-01-01' });
  if (rejected.length > 0) throw new Error(`seed file: ${rejected.length} rows rejected (${rejected[0].reason})`);
  return enrichBars(bars, []);
}

/** `values`' SMA over `period` aligned on the input (NaN until the window is full), by technicalindicators. */
function alignedSma(values: number[], period: number): Float64Array {
  const out = new Float64Array(values.length).fill(NaN);
  const sma = SMA.calculate({ period, values });
  out.set(sma, period - 1);
  return out;
}

/**
 * The simple way (the baseline): SMA 7/21/50 recomputed with
 * technicalindicators on every call, then one plain loop applying SEED.md's
 * sma_cross rules and its all-in backtest (fractional shares at the signal
 * day's close, no fees). NaN makes every comparison false, as SEED.md says.
 */
export function simpleSmaCrossBacktest(
  bars: readonly EnrichedBar[],
  capital: number,
): { finalCapital: number; trades: number } {
  const close = bars.map((b) => b.close);
  const sma7 = alignedSma(close, 7);
  const sma21 = alignedSma(close, 21);
  const sma50 = alignedSma(close, 50);
  // Day indices stand in for dates: only their order matters (first day - 1 and - 2 as SEED.md sets them).
  const open = sma7[0] > sma21[0];
  let lastUp = open ? -1 : -2;
  let lastDown = open ? -2 : -1;
  let status: 'BUY' | 'SELL' = open ? 'BUY' : 'SELL';
  let cash = open ? 0 : capital;
  let shares = open ? capital / close[0] : 0;
  let trades = 0;
  for (let i = 1; i < bars.length; i++) {
    if (sma7[i] >= sma21[i] && sma7[i - 1] < sma21[i - 1] && close[i] > sma50[i]) lastUp = i;
    if (sma7[i] < sma21[i] && sma7[i - 1] >= sma21[i - 1] && lastDown < lastUp) lastDown = i;
    if (lastUp > lastDown) {
      if (status === 'SELL') {
        status = 'BUY';
        shares = cash / close[i];
        cash = 0;
        trades++;
      }
    } else if (status === 'BUY') {
      status = 'SELL';
      cash = shares * close[i];
      shares = 0;
      trades++;
    }
  }
  return { finalCapital: cash + shares * close[close.length - 1], trades };
}

/** Median milliseconds of `fn` over `iterations` runs after `warmup` runs. */
function timeMedian(fn: () => unknown, warmup: number, iterations: number): number {
  for (let i = 0; i < warmup; i++) fn();
  const samples: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const start = performance.now();
    fn();
    samples.push(since(start));
  }
  return median(samples);
}

/**
 * Issue 4 item 9 (single backtest): sma_cross over the 10,322 seed AAPL days
 * with runBacktest (compute only), against the same backtest done the simple
 * way, measured in the same run; both must give the same final capital.
 */
export async function backtestBench(): Promise<BenchRow[]> {
  const bars = loadSeedBars();
  const days = bars.length;
  const engine = runBacktest({ bars, strategy: 'sma_cross', initialCapital: CAPITAL });
  const simple = simpleSmaCrossBacktest(bars, CAPITAL);
  const same = Math.abs(engine.finalCapital - simple.finalCapital) <= 1e-9 * Math.abs(simple.finalCapital);
  // The engine counts the initial position apart (SEED.md's count); the simple loop counts fills after the first day too.
  if (!same || engine.orders !== simple.trades) {
    throw new Error(
      `backtests disagree: engine ${engine.finalCapital} (${engine.orders} trades), simple ${simple.finalCapital} (${simple.trades} trades)`,
    );
  }

  log(`backtest: ${days} days, timing runBacktest and the simple loop`);
  // Everything but I/O: columns from the bars, strategy, state machine, fills, equity curve.
  const fromBars = timeMedian(() => runBacktest({ bars, strategy: 'sma_cross', initialCapital: CAPITAL }), 50, 300);
  // The same on a BarSeries built once (what a sweep does per ticker).
  const series = BarSeries.from(bars);
  const fromSeries = timeMedian(
    () => runBacktest({ bars: series, strategy: 'sma_cross', initialCapital: CAPITAL }),
    50,
    300,
  );
  const baseline = timeMedian(() => simpleSmaCrossBacktest(bars, CAPITAL), 10, 100);

  const perSecond = (ms: number) => (days / ms) * 1000;
  return [
    {
      figure: 'backtest: days / trades / final capital (engine = simple)',
      value: `${num(days)} / ${engine.orders} / ${num(engine.finalCapital, 2)}`,
    },
    {
      figure: 'backtest: runBacktest from bars, median',
      value: duration(fromBars),
      target: `<= ${duration(TARGET_MS)}`,
      met: fromBars <= TARGET_MS,
    },
    { figure: 'backtest: runBacktest on a prepared BarSeries, median', value: duration(fromSeries) },
    { figure: 'backtest: simple way (technicalindicators + loop), median', value: duration(baseline) },
    { figure: 'backtest: simple / runBacktest from bars', value: `${num(baseline / fromBars, 1)}x` },
    { figure: 'backtest: bar-evaluations per second (from bars)', value: num(perSecond(fromBars)) },
    { figure: 'backtest: bar-evaluations per second (BarSeries)', value: num(perSecond(fromSeries)) },
    { figure: 'backtest: bar-evaluations per second (simple way)', value: num(perSecond(baseline)) },
    { figure: 'backtest: vectorbt published, for scale', value: num(VECTORBT_EVALS_PER_SECOND) },
  ];
}
