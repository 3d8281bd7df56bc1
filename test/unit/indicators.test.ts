import * as fs from 'fs';
import * as path from 'path';
import { EMA, MACD, SMA } from 'technicalindicators';
import type { Bar, EnrichedBar } from '../../src/domain/bar';
import { BadInputError } from '../../src/domain/errors';
import { ENRICH_LOOKBACK, enrichBars } from '../../src/domain/indicators';

const DATA = path.resolve(__dirname, '../../../shared/data');
const SEED_WITH_SMA = 'AAPL_1980-12-12_2021-11-17_with_seed_sma.csv';
const SEED_BACKTEST = 'AAPL_2004-01-02_2010-12-31.csv';
const SP500_TICKERS = ['AAPL', 'MSFT', 'PCLN', 'BHF', 'APTV', 'DHR'];

type SeedAverage = 'sma7' | 'sma21' | 'sma50' | 'sma200';
const SEED_COLUMNS: Record<SeedAverage, string> = { sma200: 'ma_200', sma50: 'ma_50', sma21: 'ma_21', sma7: 'ma_7' };
const SEED_PERIODS: Record<SeedAverage, number> = { sma7: 7, sma21: 21, sma50: 50, sma200: 200 };

interface SeedFile {
  bars: Bar[];
  /** The old system's averages as written (`NULL` where undefined), by our column name. */
  averages: Record<SeedAverage, string[]> | undefined;
}

/** The seed files: CRLF, numbers quoted or not, `NULL` for undefined. */
function readSeed(file: string): SeedFile {
  const lines = fs
    .readFileSync(path.join(DATA, 'seed', file), 'utf8')
    .split(/\r?\n/)
    .filter((l) => l !== '');
  const unquote = (line: string) => line.split(',').map((f) => f.replace(/^"|"$/g, ''));
  const header = unquote(lines[0]);
  const rows = lines.slice(1).map(unquote);
  const col = (name: string) => header.indexOf(name);
  const bars = rows.map((f) => ({
    date: f[col('date')],
    open: Number(f[col('open')]),
    high: Number(f[col('high')]),
    low: Number(f[col('low')]),
    close: Number(f[col('close')]),
    adjClose: Number(f[col('adj_close')]),
    volume: Number(f[col('volume')]),
  }));
  const hasAverages = header.includes('ma_7');
  const averages = hasAverages
    ? (Object.fromEntries(
        (Object.keys(SEED_COLUMNS) as SeedAverage[]).map((key) => [key, rows.map((f) => f[col(SEED_COLUMNS[key])])]),
      ) as Record<SeedAverage, string[]>)
    : undefined;
  return { bars, averages };
}

/** An S&P 500 file's valid rows (its few defective rows, with a missing price, are skipped). */
function readSp500(ticker: string): Bar[] {
  const lines = fs
    .readFileSync(path.join(DATA, 'sp500_5yr', `${ticker}_data.csv`), 'utf8')
    .split(/\r?\n/)
    .slice(1);
  const bars: Bar[] = [];
  for (const line of lines) {
    const [date, open, high, low, close, volume] = line.split(',');
    const prices = [open, high, low, close].map((v) => (v === '' || v === undefined ? NaN : Number(v)));
    if (!prices.every((p) => p > 0)) continue;
    bars.push({
      date,
      open: prices[0],
      high: prices[1],
      low: prices[2],
      close: prices[3],
      adjClose: prices[3],
      volume: Number(volume),
    });
  }
  return bars;
}

function barsFromCloses(closes: number[]): Bar[] {
  return closes.map((close, i) => ({
    date: new Date(Date.UTC(2020, 0, 1 + i)).toISOString().slice(0, 10),
    open: close,
    high: close,
    low: close,
    close,
    adjClose: close,
    volume: 1000,
  }));
}

/** What a caller passes: at most ENRICH_LOOKBACK stored bars right before `split`. */
function historyBefore(enriched: readonly EnrichedBar[], split: number): EnrichedBar[] {
  return enriched.slice(Math.max(0, split - ENRICH_LOOKBACK), split);
}

/** The old system's EMA: pandas `ewm(span, adjust=False, min_periods=span)`, nulls skipped at the start. */
function pandasEma(values: readonly (number | null)[], span: number): (number | null)[] {
  const alpha = 2 / (span + 1);
  let ema: number | null = null;
  let seen = 0;
  return values.map((value) => {
    if (value === null) return null;
    ema = ema === null ? value : (1 - alpha) * ema + alpha * value;
    seen++;
    return seen >= span ? ema : null;
  });
}

/** MACD-cross events (`macd - signal` changing sign), as `date up|down`. */
function macdCrosses(dates: readonly string[], histogram: readonly (number | null)[]): string[] {
  const crosses: string[] = [];
  for (let i = 1; i < histogram.length; i++) {
    const before = histogram[i - 1];
    const now = histogram[i];
    if (before === null || now === null) continue;
    if (before <= 0 && now > 0) crosses.push(`${dates[i]} up`);
    if (before >= 0 && now < 0) crosses.push(`${dates[i]} down`);
  }
  return crosses;
}

/** One unit in the 6th significant digit of `value`. */
function sixthDigitUnit(value: number): number {
  const exponent = Number(value.toExponential(5).split('e')[1]);
  return 10 ** (exponent - 5);
}

const identity = (x: number) => x;

/**
 * The first field where two enriched series differ (Object.is: bit for bit, as toEqual
 * compares numbers), or null. Much faster than toEqual on thousands of rows.
 */
function firstDifference(actual: readonly EnrichedBar[], expected: readonly EnrichedBar[]): string | null {
  if (actual.length !== expected.length) return `length ${actual.length} != ${expected.length}`;
  for (let i = 0; i < actual.length; i++) {
    const keys = Object.keys(expected[i]) as (keyof EnrichedBar)[];
    if (Object.keys(actual[i]).length !== keys.length) return `row ${i}: keys differ`;
    for (const key of keys) {
      if (!Object.is(actual[i][key], expected[i][key]))
        return `row ${i} (${expected[i].date}) ${key}: ${actual[i][key]} != ${expected[i][key]}`;
    }
  }
  return null;
}

describe('enrichBars on hand-made series', () => {
  it('needs the longest SMA window minus one bars of history', () => {
    expect(ENRICH_LOOKBACK).toBe(199);
  });

  it('returns nothing for no new bars', () => {
    expect(enrichBars([], [])).toEqual([]);
  });

  it('keeps the bars and leaves every indicator null until its window is full', () => {
    const bars = barsFromCloses(Array.from({ length: 40 }, (_, i) => i + 1));
    const enriched = enrichBars(bars, []);
    expect(
      enriched.map(({ date, open, high, low, close, adjClose, volume }) => ({
        date,
        open,
        high,
        low,
        close,
        adjClose,
        volume,
      })),
    ).toEqual(bars);
    const firstDefined = (key: keyof EnrichedBar) => enriched.findIndex((b) => b[key] !== null);
    expect(firstDefined('sma7')).toBe(6);
    expect(firstDefined('sma21')).toBe(20);
    expect(firstDefined('sma50')).toBe(-1);
    expect(firstDefined('sma100')).toBe(-1);
    expect(firstDefined('sma200')).toBe(-1);
    expect(firstDefined('ema12')).toBe(11);
    expect(firstDefined('ema26')).toBe(25);
    expect(firstDefined('macd')).toBe(25);
    expect(firstDefined('macdSignal')).toBe(33);
  });

  it('computes known values on a straight line (SMA-seeded EMAs lag it by (N-1)/2)', () => {
    const enriched = enrichBars(barsFromCloses(Array.from({ length: 40 }, (_, i) => i + 1)), []);
    for (let i = 6; i < 40; i++) expect(enriched[i].sma7).toBe(i - 2);
    for (let i = 20; i < 40; i++) expect(enriched[i].sma21).toBe(i - 9);
    // Seeded with the SMA of the first N closes: 1..12 -> 6.5, 1..26 -> 13.5 (pandas adjust=False would give 7.67 and 17.53).
    expect(enriched[11].ema12).toBe(6.5);
    expect(enriched[25].ema26).toBe(13.5);
    expect(enriched[25].macd).toBeCloseTo(7, 12);
    for (let i = 12; i < 40; i++) expect(enriched[i].ema12).toBeCloseTo(i + 1 - 5.5, 12);
    for (let i = 26; i < 40; i++) expect(enriched[i].ema26).toBeCloseTo(i + 1 - 12.5, 12);
    // The signal is seeded with the mean of the first 9 MACD values, all 7.
    for (let i = 33; i < 40; i++) expect(enriched[i].macdSignal).toBeCloseTo(7, 12);
  });

  it('applies the EMA recursion with k = 2 / (N + 1) after the seed', () => {
    const closes = [...Array<number>(12).fill(1), 14, 1];
    const enriched = enrichBars(barsFromCloses(closes), []);
    expect(enriched[11].ema12).toBe(1);
    expect(enriched[12].ema12).toBeCloseTo(1 + 13 * (2 / 13), 14);
    expect(enriched[13].ema12).toBeCloseTo(3 + (1 - 3) * (2 / 13), 14);
  });

  it('averages closes exactly in millionths, not with a drifting floating-point running sum', () => {
    const enriched = enrichBars(barsFromCloses([0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.2, 0.3]), []);
    expect(enriched[6].sma7).toBe(0.1);
    // A float running sum gives 0.7000000000000001 / 7 here.
    expect(SMA.calculate({ period: 7, values: Array<number>(7).fill(0.1), format: identity })[0]).not.toBe(0.1);
    expect(enriched[8].sma7).toBe((0.5e6 + 0.2e6 + 0.3e6) / 7 / 1e6);
  });

  it('rejects bars that are not ascending or not after the history, and history that is not enriched', () => {
    const bars = barsFromCloses(Array.from({ length: 30 }, (_, i) => 10 + i));
    expect(() => enrichBars([bars[1], bars[0]], [])).toThrow(BadInputError);
    expect(() => enrichBars([bars[1], bars[1]], [])).toThrow(BadInputError);
    const enriched = enrichBars(bars.slice(0, 20), []);
    expect(() => enrichBars([bars[19]], enriched)).toThrow(BadInputError);
    const unenriched = bars.slice(0, 28).map((b) => ({ ...b, ...enrichBars([b], [])[0] }));
    expect(() => enrichBars([bars[28]], unenriched)).toThrow(BadInputError);
    for (const close of [0, -1, NaN, Infinity, 5e7]) {
      expect(() => enrichBars(barsFromCloses([10, close]), [])).toThrow(BadInputError);
    }
  });

  it('stays exact incrementally on float closes with many decimals (as Yahoo returns them)', () => {
    let seed = 42;
    const random = () => (seed = (seed * 48_271) % 2_147_483_647) / 2_147_483_647;
    let price = 150.1199951171875;
    const closes = Array.from({ length: 600 }, () => (price *= 1 + (random() - 0.5) / 20));
    const bars = barsFromCloses(closes);
    const full = enrichBars(bars, []);
    for (let split = 1; split < bars.length; split += 7) {
      expect({
        split,
        difference: firstDifference(enrichBars(bars.slice(split), historyBefore(full, split)), full.slice(split)),
      }).toEqual({ split, difference: null });
    }
    // SMAs average the closes rounded to millionths.
    const rounded = closes.slice(0, 7).map((c) => Math.round(c * 1e6));
    expect(full[6].sma7).toBe(rounded.reduce((a, b) => a + b) / 7 / 1e6);
    expect(Math.abs(full[6].sma7! - closes.slice(0, 7).reduce((a, b) => a + b) / 7)).toBeLessThan(5e-7);
  });
});

describe('enrichBars against the old system (seed file)', () => {
  const { bars, averages } = readSeed(SEED_WITH_SMA);
  const enriched = enrichBars(bars, []);
  const closeUnits = bars.map((b) => sixthDigitUnit(b.close));

  it('reads all 10,322 days', () => {
    expect(bars).toHaveLength(10_322);
    expect(averages).toBeDefined();
  });

  it.each(Object.keys(SEED_PERIODS) as SeedAverage[])('%s matches the old column on every day', (key) => {
    const old = averages![key];
    const period = SEED_PERIODS[key];
    let exact = 0;
    let worstUnits = 0;
    const nullMismatches: string[] = [];
    const inexactBefore1999: string[] = [];
    const outOfBound: string[] = [];
    for (let i = 0; i < bars.length; i++) {
      const ours = enriched[i][key];
      // Null exactly where the old system wrote NULL.
      if ((ours === null) !== (old[i] === 'NULL')) nullMismatches.push(`${bars[i].date}: ours ${ours}, old ${old[i]}`);
      if (ours === null || old[i] === 'NULL') continue;
      const theirs = Number(old[i]);
      // The old column is a float4 printed with 6 significant digits: round ours the same way.
      if (Number(Math.fround(ours).toPrecision(6)) === theirs) exact++;
      else if (bars[i].date < '1999-01-01') inexactBefore1999.push(`${bars[i].date}: ours ${ours}, old ${old[i]}`);
      // From 1999 the file's closes are themselves rounded to 6 significant digits (the old system
      // averaged the unrounded ones), so ours can differ by half a unit of the widest close in the window.
      let widestCloseUnit = 0;
      for (let j = i - period + 1; j <= i; j++) widestCloseUnit = Math.max(widestCloseUnit, closeUnits[j]);
      const difference = Math.abs(ours - theirs);
      if (difference > (sixthDigitUnit(theirs) / 2 + widestCloseUnit / 2) * (1 + 1e-9))
        outOfBound.push(`${bars[i].date}: ours ${ours}, old ${old[i]}`);
      worstUnits = Math.max(worstUnits, difference / sixthDigitUnit(theirs));
    }
    expect(nullMismatches).toEqual([]);
    expect(inexactBefore1999).toEqual([]);
    expect(outOfBound).toEqual([]);
    const defined = old.filter((v) => v !== 'NULL').length;
    expect(defined).toBe(bars.length - period + 1);
    expect(exact / defined).toBeGreaterThan(0.97);
    expect(worstUnits).toBeLessThan(1.5);
  });
});

describe('enrichBars against technicalindicators', () => {
  const series: [string, Bar[]][] = [
    [SEED_WITH_SMA, readSeed(SEED_WITH_SMA).bars],
    [SEED_BACKTEST, readSeed(SEED_BACKTEST).bars],
    ...SP500_TICKERS.map((t): [string, Bar[]] => [`S&P ${t}`, readSp500(t)]),
  ];

  it.each(series)('%s: SMAs equal the library SMA of closes in millionths, bit for bit', (_, bars) => {
    const enriched = enrichBars(bars, []);
    const micros = bars.map((b) => Math.round(b.close * 1e6));
    for (const [key, period] of [
      ['sma7', 7],
      ['sma21', 21],
      ['sma50', 50],
      ['sma100', 100],
      ['sma200', 200],
    ] as const) {
      const library = SMA.calculate({ period, values: micros, format: identity }).map((v) => v / 1e6);
      const padding = Array<null>(Math.min(period - 1, bars.length)).fill(null);
      expect(enriched.map((b) => b[key])).toEqual([...padding, ...library]);
    }
  });

  it.each(series)('%s: EMA12, EMA26, MACD and signal equal the library EMA and MACD, bit for bit', (_, bars) => {
    const enriched = enrichBars(bars, []);
    const closes = bars.map((b) => b.close);
    const pad = (values: number[]) => [...Array<null>(bars.length - values.length).fill(null), ...values];
    expect(enriched.map((b) => b.ema12)).toEqual(pad(EMA.calculate({ period: 12, values: closes, format: identity })));
    expect(enriched.map((b) => b.ema26)).toEqual(pad(EMA.calculate({ period: 26, values: closes, format: identity })));
    const macd = MACD.calculate({
      values: closes,
      fastPeriod: 12,
      slowPeriod: 26,
      signalPeriod: 9,
      SimpleMAOscillator: false,
      SimpleMASignal: false,
      format: identity,
    });
    expect(enriched.map((b) => b.macd)).toEqual(pad(macd.map((m) => m.MACD!)));
    expect(enriched.map((b) => b.macdSignal)).toEqual(pad(macd.map((m) => m.signal ?? null) as number[]));
    if (bars.length >= 34) expect(enriched[33].macdSignal).not.toBeNull();
  });
});

describe('incremental enrichment equals a full recompute, bit for bit', () => {
  const series: [string, Bar[]][] = [
    [SEED_WITH_SMA, readSeed(SEED_WITH_SMA).bars],
    [SEED_BACKTEST, readSeed(SEED_BACKTEST).bars],
    ...SP500_TICKERS.map((t): [string, Bar[]] => [`S&P ${t}`, readSp500(t)]),
  ];

  /** Inside the EMA and signal seed windows, around every SMA window, and spread over the series. */
  function splitPoints(length: number): number[] {
    const early = [
      1, 2, 5, 6, 7, 8, 11, 12, 13, 20, 21, 22, 24, 25, 26, 27, 30, 32, 33, 34, 35, 49, 50, 51, 99, 100, 101,
    ];
    const aroundLookback = [150, 197, 198, 199, 200, 201, 202, 250, 399, 400, 401];
    const spread = Array.from({ length: 12 }, (_, i) => Math.floor(((i + 1) * length) / 13));
    return [...new Set([...early, ...aroundLookback, ...spread, length - 1])].filter((s) => s > 0 && s < length);
  }

  it.each(series)('%s: split once at many points', (_, bars) => {
    const full = enrichBars(bars, []);
    for (const split of splitPoints(bars.length)) {
      const incremental = enrichBars(bars.slice(split), historyBefore(full, split));
      expect({ split, difference: firstDifference(incremental, full.slice(split)) }).toEqual({
        split,
        difference: null,
      });
    }
  });

  it.each(series)('%s: day by day, then in uneven chunks, each step from its own stored results', (_, bars) => {
    const full = enrichBars(bars, []);
    const stored: EnrichedBar[] = [];
    let next = 0;
    const chunkSizes = [1, 1, 3, 17, 64, 1, 250, 2, 997];
    for (let step = 0; next < bars.length; step++) {
      const size = next < 300 ? 1 : chunkSizes[step % chunkSizes.length];
      const chunk = bars.slice(next, next + size);
      stored.push(...enrichBars(chunk, historyBefore(stored, next)));
      next += chunk.length;
    }
    expect(firstDifference(stored, full)).toBeNull();
    expect(stored).toEqual(full);
  });

  it('accepts a history longer than the lookback and gives the same result', () => {
    const { bars } = readSeed(SEED_BACKTEST);
    const full = enrichBars(bars, []);
    expect(enrichBars(bars.slice(900), full.slice(0, 900))).toEqual(full.slice(900));
  });
});

describe('SMA-seeded EMAs against the old pandas adjust=False EMAs', () => {
  it.each([SEED_WITH_SMA, SEED_BACKTEST])('%s: the EMAs converge and the MACD crosses are the same', (file) => {
    const { bars } = readSeed(file);
    const enriched = enrichBars(bars, []);
    const closes = bars.map((b) => b.close);
    const old12 = pandasEma(closes, 12);
    const old26 = pandasEma(closes, 26);
    const oldMacd = old12.map((fast, i) => (fast !== null && old26[i] !== null ? fast - old26[i]! : null));
    const oldSignal = pandasEma(oldMacd, 9);

    // Same days defined.
    expect(enriched.map((b) => b.ema12 === null)).toEqual(old12.map((v) => v === null));
    expect(enriched.map((b) => b.ema26 === null)).toEqual(old26.map((v) => v === null));
    expect(enriched.map((b) => b.macdSignal === null)).toEqual(oldSignal.map((v) => v === null));

    // The seeds differ at first (by up to ~5% on AAPL 1980), then the difference decays as (1 - k)^n.
    const relative = (ours: number | null, old: number | null, scale: number) => Math.abs(ours! - old!) / scale;
    const lastDayAbove = (differences: number[], threshold: number) => differences.findLastIndex((d) => d >= threshold);
    const d12 = enriched.map((b, i) => (b.ema12 === null ? 0 : relative(b.ema12, old12[i], old12[i]!)));
    const d26 = enriched.map((b, i) => (b.ema26 === null ? 0 : relative(b.ema26, old26[i], old26[i]!)));
    const dSignal = enriched.map((b, i) =>
      b.macdSignal === null ? 0 : relative(b.macdSignal, oldSignal[i], closes[i]),
    );
    expect(Math.max(...d12.slice(0, 60))).toBeGreaterThan(1e-3);
    expect(lastDayAbove(d12, 1e-9)).toBeLessThan(120);
    expect(lastDayAbove(d26, 1e-9)).toBeLessThan(230);
    expect(lastDayAbove(dSignal, 1e-9)).toBeLessThan(240);

    // Exactly the same MACD crosses, from the first day the signal is defined.
    const dates = bars.map((b) => b.date);
    const ours = macdCrosses(
      dates,
      enriched.map((b) => (b.macdSignal === null ? null : b.macd! - b.macdSignal)),
    );
    const old = macdCrosses(
      dates,
      oldSignal.map((signal, i) => (signal === null ? null : oldMacd[i]! - signal)),
    );
    expect(ours.length).toBeGreaterThan(100);
    expect(ours).toEqual(old);
  });
});
