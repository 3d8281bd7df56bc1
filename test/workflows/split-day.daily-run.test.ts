import fs from 'node:fs';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { AppConfig } from '../../src/config/config';
import { parseCsv, parsePriceCsv } from '../../src/adapters/market-data/csv-market-data.provider';
import { PostgresPriceRepository } from '../../src/adapters/postgres/postgres-price.repository';
import { PostgresSignalRepository } from '../../src/adapters/postgres/postgres-signal.repository';
import { PostgresSubscriberRepository } from '../../src/adapters/postgres/postgres-subscriber.repository';
import { enrichBars } from '../../src/domain/indicators';
import { validatePriceRows } from '../../src/domain/price-validation';
import { runStrategy } from '../../src/domain/strategies';
import { startMailSink, type MailSink } from '../../src/mail-sink';
import type { DailyRunInput, DailyRunResult } from '../../src/workflows/daily-run.workflow';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { emptyMailbox, readMailbox, tempDir } from '../support/mail';
import { startTestTemporal } from '../support/temporal';
import { testConfig, testDependencies, withTestWorker } from '../support/worker';

const RAW_NFLX = path.resolve(__dirname, '../../../shared/data/raw_with_splits/NFLX.csv');
const STRATEGIES = ['sma_cross', 'macd_cross', 'rsi_reversion', 'bollinger_reversion', 'donchian_breakout'];
/** NFLX's 7-for-1 split day and the two trading days after it. */
const DAYS = ['2015-07-15', '2015-07-16', '2015-07-17'];

/** The raw Alpha Vantage file as `NFLX.csv` in a directory of its own. */
function rawDir(): string {
  const dir = tempDir('algo-split-raw-');
  fs.copyFileSync(RAW_NFLX, path.join(dir, 'NFLX.csv'));
  return dir;
}

/**
 * The adjusted series as another provider would serve it (Yahoo-like
 * `Date,Open,High,Low,Close,Volume`, no split column), built from the
 * provider's own `adjusted_close` and not from our adjustment code: each
 * day's prices scaled by adjusted_close / close (NFLX pays no dividend, so
 * that is the split adjustment alone), volume by the inverse.
 */
function adjustedDir(): string {
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
  const lines = ['Date,Open,High,Low,Close,Volume'];
  for (const { fields } of records) {
    const [date, open, high, low, close, adjusted, volume, dividend] = fields;
    expect(Number(dividend)).toBe(0);
    const r = Number(adjusted) / Number(close);
    lines.push(
      [
        date,
        Number(open) * r,
        Number(high) * r,
        Number(low) * r,
        Number(adjusted),
        Math.round(Number(volume) / r),
      ].join(','),
    );
  }
  const dir = tempDir('algo-split-adjusted-');
  fs.writeFileSync(path.join(dir, 'NFLX.csv'), `${lines.join('\n')}\n`);
  return dir;
}

describe('the daily job on NFLX 2015-07-15 (7-for-1) over the raw file (real Temporal, Postgres, Redis, SMTP sink)', () => {
  let env: TestWorkflowEnvironment;
  let t: TestDatabase;
  let sink: MailSink;
  let mailDir: string;
  let config: AppConfig;
  let services: ReturnType<typeof testDependencies>;
  let runs = 0;

  beforeAll(async () => {
    mailDir = tempDir('algo-split-mail-');
    [env, t, sink] = await Promise.all([
      startTestTemporal(),
      createTestDatabase(),
      startMailSink({ port: 0, dir: mailDir }),
    ]);
    config = testConfig({
      databaseUrl: t.url,
      temporalAddress: env.address,
      csvDir: rawDir(),
      smtpPort: sink.port,
      tickers: ['NFLX'],
    });
    config.strategies = { default: STRATEGIES.map((name) => ({ name, params: {} })), perTicker: {} };
    services = testDependencies(config);
  });
  afterAll(async () => {
    await services?.close();
    await sink?.close();
    await t?.destroy();
    await env?.teardown();
  });

  /** Fresh database, strategy state and mailbox; one confirmed subscriber of every strategy on NFLX. Then the daily job on each of DAYS over `csvDir`. */
  async function dailyJobOver(csvDir: string) {
    await t.truncateAll();
    await services.deps.states.clear();
    emptyMailbox(mailDir);
    await new PostgresSubscriberRepository(t.db).subscribe({
      email: 'quant@example.com',
      subscriptions: STRATEGIES.map((strategy) => ({ ticker: 'NFLX', strategy })),
      confirmed: true,
    });
    const results: DailyRunResult[] = [];
    await withTestWorker(env, config, async () => {
      for (const date of DAYS) {
        const input: DailyRunInput = { date, provider: 'csv', csvDir };
        results.push(
          (await env.client.workflow.execute('dailyRunWorkflow', {
            taskQueue: config.temporal.taskQueue,
            workflowId: `split-day-${date}-${++runs}`,
            args: [input],
          })) as DailyRunResult,
        );
      }
    });
    const signals = (await new PostgresSignalRepository(t.db).list({}))
      .map((s) => `${s.date} ${s.strategy} ${s.signal}`)
      .sort();
    const mail = (await readMailbox(mailDir)).map((m) => m.subject).sort();
    const bars = await new PostgresPriceRepository(t.db).bars('NFLX', { from: '2015-07-14', to: '2015-07-15' });
    return { results, signals, mail, bars };
  }

  it('emits no BUY or SELL that the adjusted series would not: same signals, same (no) emails', async () => {
    // Teeth: the raw closes themselves, unadjusted, make four strategies trade on the split day.
    const rows = parsePriceCsv(fs.readFileSync(RAW_NFLX, 'utf8'), 'NFLX.csv');
    const unadjusted = enrichBars(validatePriceRows(rows, { asOf: '2015-07-15' }).bars, []);
    const falseSignals = STRATEGIES.map((s) => `${s} ${runStrategy(s, {}, unadjusted).records.at(-1)!.signal}`).filter(
      (s) => /BUY|SELL/.test(s),
    );
    expect(falseSignals).toEqual([
      'sma_cross SELL',
      'macd_cross SELL',
      'bollinger_reversion BUY',
      'donchian_breakout SELL',
    ]);

    const raw = await dailyJobOver(rawDir());
    const adjusted = await dailyJobOver(adjustedDir());

    for (const run of [...raw.results, ...adjusted.results]) {
      expect(run.tickers).toEqual([
        { ticker: 'NFLX', ingestion: 'ok', evaluation: 'ok', provider: 'csv', lastBarDate: run.date },
      ]);
    }
    // The raw run stored the split-adjusted series (the raw close kept aside), the other the provider's.
    expect(raw.bars.map((b) => [b.date, b.rawClose ?? null, b.splitFactor ?? 1])).toEqual([
      ['2015-07-14', 702.6, 7],
      ['2015-07-15', null, 1],
    ]);
    expect(Math.abs(raw.bars[0].close / adjusted.bars[0].close - 1)).toBeLessThan(1.01e-6);

    expect(raw.signals).toEqual(adjusted.signals);
    expect(raw.signals.filter((s) => s.startsWith('2015-07-15'))).toEqual(
      STRATEGIES.map(
        (s) =>
          `2015-07-15 ${s} ${s === 'sma_cross' || s === 'macd_cross' || s === 'donchian_breakout' ? 'HOLD' : 'WAIT'}`,
      ).sort(),
    );
    expect(raw.signals.filter((s) => /BUY|SELL/.test(s))).toEqual([]);
    expect(raw.mail).toEqual(adjusted.mail);
    expect(raw.mail).toEqual([]);
    expect(raw.results.map((r) => r.notifications.sent)).toEqual([0, 0, 0]);
  });
});
