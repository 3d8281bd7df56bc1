import fs from 'node:fs';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { AppConfig } from '../../src/config/config';
import { parseCsv, parsePriceCsv } from '../../src/adapters/market-data/csv-market-data.provider';
import { PostgresPriceRepository } from '../../src/adapters/postgres/postgres-price.repository';
import { PostgresReadjustmentRepository } from '../../src/adapters/postgres/postgres-readjustment.repository';
import { PostgresSignalRepository } from '../../src/adapters/postgres/postgres-signal.repository';
import type { EnrichedBar } from '../../src/domain/bar';
import { enrichBars } from '../../src/domain/indicators';
import { validatePriceRows } from '../../src/domain/price-validation';
import { runStrategy, type StrategyState } from '../../src/domain/strategies';
import { dailyRunWorkflow, ingestPricesWorkflow, readjustTickerWorkflow } from '../../src/workflows';
import type { DailyRunResult } from '../../src/workflows/daily-run.workflow';
import type { ReadjustTickerInput } from '../../src/workflows/readjust-ticker.workflow';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { tempDir } from '../support/mail';
import { startTestTemporal } from '../support/temporal';
import { testConfig, testDependencies, withTestWorker } from '../support/worker';

const RAW_NFLX = path.resolve(__dirname, '../../../shared/data/raw_with_splits/NFLX.csv');
const STRATEGIES = ['sma_cross', 'macd_cross', 'rsi_reversion', 'bollinger_reversion', 'donchian_breakout'];
/** The window cut from the raw file: enough history for a 200-day average before the split (2015-07-15, 7-for-1). */
const WINDOW = { from: '2013-06-03', to: '2015-07-17' };
const SPLIT_DAY = '2015-07-15';
const DAY_BEFORE = '2015-07-14';

/** The raw file's rows of the window, as read (header first). */
function windowRecords(): string[][] {
  const [header, ...records] = parseCsv(fs.readFileSync(RAW_NFLX, 'utf8'));
  expect(header.fields).toEqual([
    'timestamp',
    'open',
    'high',
    'low',
    'close',
    'adjusted_close',
    'volume',
    'dividend_amount',
    'split_coefficient',
  ]);
  return records.map((r) => r.fields).filter(([date]) => date >= WINDOW.from && date <= WINDOW.to);
}

/** The window of the raw Alpha Vantage file (split column and all) as `<ticker>.csv` in a directory of its own. */
function rawDir(...tickers: string[]): string {
  const [header] = fs.readFileSync(RAW_NFLX, 'utf8').split('\n', 1);
  const text = `${[header, ...windowRecords().map((r) => r.join(','))].join('\n')}\n`;
  const dir = tempDir('algo-readjust-raw-');
  for (const ticker of tickers) fs.writeFileSync(path.join(dir, `${ticker}.csv`), text);
  return dir;
}

/**
 * The window in Yahoo's export format (no split column), as such a provider
 * serves it on a given day: `adjusted` scales each day by the provider's own
 * adjusted_close / close (its history after the split: NFLX pays no
 * dividend, so that is the split alone); not adjusted, it is the prices as
 * traded (its history before the split). Rows after `to` are left out.
 */
function yahooFile(dir: string, options: { adjusted: boolean; to: string }): void {
  const lines = ['Date,Open,High,Low,Close,Adj Close,Volume'];
  for (const [date, open, high, low, close, adjusted, volume, dividend] of windowRecords()) {
    if (date > options.to) continue;
    expect(Number(dividend)).toBe(0);
    const r = options.adjusted ? Number(adjusted) / Number(close) : 1;
    const c = Number(close) * r;
    lines.push(
      [date, Number(open) * r, Number(high) * r, Number(low) * r, c, c, Math.round(Number(volume) / r)].join(','),
    );
  }
  fs.writeFileSync(path.join(dir, 'NFLX.csv'), `${lines.join('\n')}\n`);
}

/** Signals as `date strategy SIGNAL`, sorted. */
async function signalsOf(t: TestDatabase): Promise<string[]> {
  return (await new PostgresSignalRepository(t.db).list({ ticker: 'NFLX' }))
    .map((s) => `${s.date} ${s.strategy} ${s.signal}`)
    .sort();
}

const INDICATORS = ['sma7', 'sma21', 'sma50', 'sma100', 'sma200', 'ema12', 'ema26', 'macd', 'macdSignal'] as const;

/** Relative difference of two bar series, field by field (prices, adjusted close, indicators); throws on a date mismatch. */
function maxRelativeDifference(a: readonly EnrichedBar[], b: readonly EnrichedBar[]): number {
  expect(a.map((x) => x.date)).toEqual(b.map((x) => x.date));
  let max = 0;
  a.forEach((x, i) => {
    for (const k of ['open', 'high', 'low', 'close', 'adjClose', 'volume', ...INDICATORS] as const) {
      const u = x[k];
      const v = b[i][k];
      if (u === null || v === null) {
        expect([k, x.date, u]).toEqual([k, x.date, v]);
        continue;
      }
      max = Math.max(max, Math.abs(u - v) / Math.max(Math.abs(u), Math.abs(v), 1e-12));
    }
  });
  return max;
}

describe('a split after the history is stored: re-adjustment as a child of the ingestion (real Temporal, Postgres, Redis)', () => {
  let env: TestWorkflowEnvironment;
  let t: TestDatabase;
  let config: AppConfig;
  let services: ReturnType<typeof testDependencies>;
  let prices: PostgresPriceRepository;
  let readjustments: PostgresReadjustmentRepository;
  let runs = 0;

  beforeAll(async () => {
    [env, t] = await Promise.all([startTestTemporal(), createTestDatabase()]);
    config = testConfig({ databaseUrl: t.url, temporalAddress: env.address, tickers: ['NFLX'] });
    config.strategies = { default: STRATEGIES.map((name) => ({ name, params: {} })), perTicker: {} };
    services = testDependencies(config);
    prices = new PostgresPriceRepository(t.db);
    readjustments = new PostgresReadjustmentRepository(t.db);
  });
  afterAll(async () => {
    await services?.close();
    await t?.destroy();
    await env?.teardown();
  });

  async function fresh() {
    await t.truncateAll();
    await services.deps.states.clear();
  }

  const daily = (date: string, csvDir: string) =>
    env.client.workflow.execute(dailyRunWorkflow, {
      taskQueue: config.temporal.taskQueue,
      workflowId: `readjust-test-daily-${date}-${++runs}`,
      args: [{ date, provider: 'csv', csvDir }],
    });

  /** Every strategy state of NFLX in Redis, by strategy. */
  async function states() {
    const found = await services.deps.states.getMany(STRATEGIES.map((strategy) => ({ ticker: 'NFLX', strategy })));
    return Object.fromEntries([...found].map(([key, value]) => [key, value.state]));
  }

  /** The reference: the daily job over a provider that serves the adjusted series from the start. */
  async function adjustedReference() {
    await fresh();
    const dir = tempDir('algo-readjust-adjusted-');
    yahooFile(dir, { adjusted: true, to: WINDOW.to });
    const results = await withTestWorker(env, config, async () => [
      await daily(DAY_BEFORE, dir),
      await daily(SPLIT_DAY, dir),
    ]);
    return { results, signals: await signalsOf(t), states: await states(), bars: await prices.bars('NFLX') };
  }

  it('divides the stored bars by 7, recomputes indicators and strategy states, records it once; no signal the adjusted series would not give', async () => {
    // Teeth: over the stored (unadjusted) closes and the split day's raw close, four strategies trade.
    const unadjusted = enrichBars(
      validatePriceRows(parsePriceCsv(fs.readFileSync(RAW_NFLX, 'utf8'), 'NFLX.csv'), { asOf: SPLIT_DAY }).bars,
      [],
    );
    const falseSignals = STRATEGIES.map((s) => `${s} ${runStrategy(s, {}, unadjusted).records.at(-1)!.signal}`).filter(
      (s) => /BUY|SELL/.test(s),
    );
    expect(falseSignals).toEqual([
      'sma_cross SELL',
      'macd_cross SELL',
      'bollinger_reversion BUY',
      'donchian_breakout SELL',
    ]);

    const reference = await adjustedReference();

    await fresh();
    const dir = rawDir('NFLX', 'NFLXREF');
    const adjustedCloses = new Map(windowRecords().map(([date, , , , , adjusted]) => [date, Number(adjusted)]));
    const rawCloses = new Map(windowRecords().map(([date, , , , close]) => [date, Number(close)]));
    const rerun = await withTestWorker(env, config, async () => {
      const before = await daily(DAY_BEFORE, dir);
      // Stored through the day before: as traded, nothing to adjust for yet.
      const stored = await prices.bars('NFLX');
      expect(stored.at(-1)).toMatchObject({ date: DAY_BEFORE, close: 702.6 });
      expect(stored.every((b) => b.splitFactor === undefined)).toBe(true);
      const statesBefore = await states();
      expect(Object.keys(statesBefore).sort()).toEqual(STRATEGIES.map((s) => `NFLX|${s}`).sort());

      const splitDay = await daily(SPLIT_DAY, dir);
      const child = await env.client.workflow.getHandle(`readjust-NFLX-split-${SPLIT_DAY}`).result();
      const afterSplit = await prices.bars('NFLX');
      const statesAfter = await states();

      // Once: the same day again, the next day, and the child itself again under its id.
      const again = await daily(SPLIT_DAY, dir);
      const next = await daily('2015-07-16', dir);
      const input: ReadjustTickerInput = {
        ticker: 'NFLX',
        cause: { reason: 'split', date: SPLIT_DAY, factor: 7, storedThrough: DAY_BEFORE },
        asOf: SPLIT_DAY,
        ingestionRunId: null,
        provider: 'csv',
        csvDir: dir,
      };
      const childAgain = await env.client.workflow.execute(readjustTickerWorkflow, {
        taskQueue: config.temporal.taskQueue,
        workflowId: `readjust-NFLX-split-${SPLIT_DAY}`,
        args: [input],
      });
      const finalBars = await prices.bars('NFLX', { to: SPLIT_DAY });
      // A first backfill that knew the split from the start, of the same file under another name.
      const backfill = await env.client.workflow.execute(ingestPricesWorkflow, {
        taskQueue: config.temporal.taskQueue,
        workflowId: `readjust-test-backfill-${++runs}`,
        args: [{ tickers: ['NFLXREF'], asOf: SPLIT_DAY, provider: 'csv', csvDir: dir }],
      });
      return { before, splitDay, child, afterSplit, statesAfter, again, next, childAgain, finalBars, backfill };
    });

    for (const run of [rerun.before, rerun.splitDay, rerun.again, rerun.next]) {
      expect((run as DailyRunResult).tickers).toEqual([
        {
          ticker: 'NFLX',
          ingestion: 'ok',
          evaluation: 'ok',
          provider: 'csv',
          lastBarDate: (run as DailyRunResult).date,
        },
      ]);
    }
    const storedBefore = rerun.afterSplit.filter((b) => b.date < SPLIT_DAY);
    expect(storedBefore.length).toBeGreaterThan(500);

    // One record, factor 7, every stored bar changed (prices through the day before, indicators of the split day too).
    expect(await readjustments.readjustments({ ticker: 'NFLX' })).toEqual([
      {
        id: expect.any(Number),
        status: 'applied',
        ticker: 'NFLX',
        date: SPLIT_DAY,
        factor: 7,
        rowsChanged: storedBefore.length + 1,
        reason: 'split',
        detail: `split x7 on ${SPLIT_DAY}: bars through ${DAY_BEFORE} divided by 7; 1 new bar from csv stored with them`,
        workflowId: `readjust-NFLX-split-${SPLIT_DAY}`,
        ingestionRunId: expect.any(String),
      },
    ]);
    expect(rerun.child).toMatchObject({
      rowsChanged: storedBefore.length + 1,
      alreadyRecorded: false,
      statesRebuilt: STRATEGIES.length,
    });
    expect(rerun.childAgain).toMatchObject({ rowsChanged: storedBefore.length + 1, alreadyRecorded: true });

    // The stored bars before the split are the provider's adjusted closes, their raw close kept: within 1e-6 of it, and
    // the 1e-6 is the provider's own (it divided by its split coefficient 7.00000700001, we by 7: 1.000001e-6 apart).
    for (const bar of storedBefore) {
      expect(Math.abs(bar.close / adjustedCloses.get(bar.date)! - 1)).toBeLessThan(1.01e-6);
      expect(Math.abs((bar.close * 7) / 7.00000700001 / adjustedCloses.get(bar.date)! - 1)).toBeLessThan(1e-8);
      expect(bar).toMatchObject({ rawClose: rawCloses.get(bar.date), splitFactor: 7 });
    }
    // Equal to a backfill that adjusted for the split up front: prices and every indicator.
    expect(rerun.backfill.tickers[0]).toMatchObject({ ticker: 'NFLXREF', status: 'ok' });
    expect(
      maxRelativeDifference(
        rerun.afterSplit.filter((b) => b.date <= SPLIT_DAY),
        await prices.bars('NFLXREF'),
      ),
    ).toBeLessThan(1e-12);
    // A re-run, the next day and the child again changed nothing of it.
    expect(
      maxRelativeDifference(
        rerun.finalBars,
        rerun.afterSplit.filter((b) => b.date <= SPLIT_DAY),
      ),
    ).toBe(0);
    expect(await readjustments.readjustments()).toHaveLength(1);

    // The same signals and strategy states as over the adjusted series; no BUY or SELL on the split day.
    const signals = (await signalsOf(t)).filter((s) => s <= `${SPLIT_DAY}~`);
    expect(signals).toEqual(reference.signals);
    expect(signals.filter((s) => s.startsWith(SPLIT_DAY) && /BUY|SELL/.test(s))).toEqual([]);
    // rsi_reversion's carried Wilder averages come from the stored bars re-adjusted here (divided by 7), the
    // reference's from the provider's adjusted prices: the same to their last digits, so close, not equal.
    const machine = (states: Record<string, StrategyState>) =>
      Object.fromEntries(Object.entries(states).map(([key, state]) => [key, { ...state, carry: undefined }]));
    expect(machine(rerun.statesAfter)).toEqual(machine(reference.states));
    for (const [key, state] of Object.entries(reference.states)) {
      for (const [name, value] of Object.entries(state.carry ?? {}))
        expect(Math.abs(rerun.statesAfter[key].carry![name] / value - 1)).toBeLessThan(1e-4);
    }
    expect((rerun.splitDay as DailyRunResult).signals.filter((s) => s.signal === 'BUY' || s.signal === 'SELL')).toEqual(
      [],
    );
  });

  it('backfills again when the provider rewrote its history (Yahoo after a split): the overlap no longer matches', async () => {
    const reference = await adjustedReference();

    await fresh();
    const dir = tempDir('algo-readjust-yahoo-');
    const result = await withTestWorker(env, config, async () => {
      // Before the split the provider served prices as traded; on the split day its whole history is divided by 7.
      yahooFile(dir, { adjusted: false, to: DAY_BEFORE });
      const before = await daily(DAY_BEFORE, dir);
      yahooFile(dir, { adjusted: true, to: WINDOW.to });
      const splitDay = await daily(SPLIT_DAY, dir);
      const child = await env.client.workflow.getHandle(`readjust-NFLX-history-${SPLIT_DAY}`).result();
      const next = await daily('2015-07-16', dir);
      return { before, splitDay, child, next };
    });
    for (const run of [result.before, result.splitDay, result.next]) {
      expect(run.tickers).toEqual([
        { ticker: 'NFLX', ingestion: 'ok', evaluation: 'ok', provider: 'csv', lastBarDate: run.date },
      ]);
    }
    const stored = await prices.bars('NFLX', { to: SPLIT_DAY });
    const [record, ...more] = await readjustments.readjustments();
    expect(more).toEqual([]);
    // The first day of the overlap (ten calendar days before the last stored one) is the first that differs.
    expect(record).toMatchObject({
      ticker: 'NFLX',
      date: '2015-07-06',
      factor: null,
      reason: 'adjusted_history_changed',
      rowsChanged: stored.length,
    });
    expect(record.detail).toMatch(
      /^close 2015-07-06: stored [\d.]+, provider [\d.]+ \(stored\/provider 7\); backfilled again from csv \(\d+ bars from 2013-06-03\)$/,
    );
    expect(result.child).toMatchObject({ alreadyRecorded: false, statesRebuilt: STRATEGIES.length });

    // Stored as the adjusted provider serves it, as if it had always been: bars, signals, states.
    expect(
      maxRelativeDifference(
        stored,
        reference.bars.filter((b) => b.date <= SPLIT_DAY),
      ),
    ).toBeLessThan(1e-12);
    const signals = (await signalsOf(t)).filter((s) => s <= `${SPLIT_DAY}~`);
    expect(signals).toEqual(reference.signals);
    expect(signals.filter((s) => s.startsWith(SPLIT_DAY) && /BUY|SELL/.test(s))).toEqual([]);
    expect(result.splitDay.signals.filter((s) => s.signal === 'BUY' || s.signal === 'SELL')).toEqual([]);
  });
});
