import { PostgresPriceRepository } from '../../src/adapters/postgres/postgres-price.repository';
import type { EnrichedBar, RejectedRow } from '../../src/domain/bar';
import { sql } from 'kysely';
import { createDatabase } from '../../src/adapters/postgres/database';
import { createTestDatabase, TEST_POSTGRES_URL, type TestDatabase } from '../support/database';

function bar(date: string, close: number, extra: Partial<EnrichedBar> = {}): EnrichedBar {
  return {
    date,
    open: close,
    high: close + 1,
    low: close - 1,
    close,
    adjClose: close,
    volume: 1000,
    sma7: null,
    sma21: null,
    sma50: null,
    sma100: null,
    sma200: null,
    ema12: null,
    ema26: null,
    macd: null,
    macdSignal: null,
    ...extra,
  };
}

const rejection = (date: string, reason: string): RejectedRow => ({
  date,
  reason,
  raw: { date, open: '', high: '1', low: '1', close: '1', volume: '1' },
});

describe('PostgresPriceRepository', () => {
  let t: TestDatabase;
  let repo: PostgresPriceRepository;

  beforeAll(async () => {
    t = await createTestDatabase();
    repo = new PostgresPriceRepository(t.db);
  });
  afterAll(() => t.destroy());
  beforeEach(async () => {
    await t.truncateAll();
    await repo.startRun({ runId: 'run-1', asOf: '2020-01-10', provider: 'csv', tickers: ['AAA'] });
    await repo.startRun({ runId: 'run-2', asOf: '2020-01-10', provider: 'csv', tickers: ['AAA'] });
  });

  it('inserts, then reports unchanged and updated rows on a re-run', async () => {
    const bars = [bar('2020-01-02', 10, { sma7: 9.5 }), bar('2020-01-03', 11)];
    const first = await repo.saveIngestion({ runId: 'run-1', ticker: 'AAA', bars, rejected: [] });
    expect(first).toMatchObject({ status: 'ok', inserted: 2, updated: 0, unchanged: 0, lastDate: '2020-01-03' });

    const second = await repo.saveIngestion({
      runId: 'run-2',
      ticker: 'AAA',
      bars: [bars[0], { ...bars[1], close: 12 }],
      rejected: [],
    });
    expect(second).toMatchObject({ inserted: 0, updated: 1, unchanged: 1 });

    expect(await repo.bars('AAA')).toEqual([bars[0], { ...bars[1], close: 12 }]);
  });

  it('round-trips every column exactly, nulls included, and keeps dates as strings', async () => {
    const b = bar('2021-03-04', 123.456789, {
      volume: 7_000_000_000,
      sma200: 1 / 3,
      macd: -0.1 + 0.2,
      macdSignal: null,
    });
    await repo.saveIngestion({ runId: 'run-1', ticker: 'AAA', bars: [b], rejected: [] });
    const [stored] = await repo.bars('AAA');
    expect(stored).toEqual(b);
    expect(typeof stored.date).toBe('string');
  });

  it('reads many tickers in one packed read, equal to the per-ticker read bit for bit, up to a date', async () => {
    await repo.startRun({ runId: 'run-3', asOf: '2020-01-10', provider: 'csv', tickers: ['BBB'] });
    const aaa = [
      bar('1999-12-31', 0.1 + 0.2, {
        volume: 2 ** 53 - 1,
        sma7: 1 / 3,
        sma21: -2.75,
        ema12: Number.MIN_VALUE,
        macd: -1e-300,
        macdSignal: 5e300,
      }),
      bar('2000-02-29', 1 / 7, { sma50: 2.5, sma100: null, sma200: 123.456789, ema26: 9.87654321 }),
      bar('2020-01-03', 11),
    ];
    const bbb = [bar('1970-01-01', 42), bar('2020-01-02', 10, { sma7: 9.5 })];
    await repo.saveIngestion({ runId: 'run-1', ticker: 'AAA', bars: aaa, rejected: [] });
    await repo.saveIngestion({ runId: 'run-3', ticker: 'BBB', bars: bbb, rejected: [] });
    const packed = await repo.barsOfTickers(['AAA', 'BBB', 'NONE'], { to: '2020-01-02' });
    expect([...packed.keys()].sort()).toEqual(['AAA', 'BBB']);
    expect(packed.get('AAA')).toEqual(await repo.bars('AAA', { to: '2020-01-02' }));
    expect(packed.get('AAA')).toEqual(aaa.slice(0, 2));
    expect(packed.get('BBB')).toEqual(bbb);
    expect((await repo.barsOfTickers([], { to: '2020-01-02' })).size).toBe(0);
  });

  it('survives the server closing its idle connections (a Postgres restart): no crash, the next query reconnects', async () => {
    await repo.lastBarDates(['AAA']);
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      const admin = createDatabase(TEST_POSTGRES_URL);
      const name = new URL(t.url).pathname.slice(1);
      const { rows } = await sql<{ n: number }>`
        select count(pg_terminate_backend(pid))::int as n from pg_stat_activity where datname = ${name}`.execute(admin);
      await admin.destroy();
      expect(rows[0].n).toBeGreaterThan(0);
      await new Promise((r) => setTimeout(r, 200));
      expect(await repo.lastBarDates(['AAA'])).toEqual(new Map());
      expect(warn).toHaveBeenCalledWith(expect.stringContaining('postgres: an idle connection was closed'));
    } finally {
      warn.mockRestore();
    }
  });

  it('stores a rejected row once however often it is rejected', async () => {
    const rejected = [
      rejection('2020-01-06', 'open is missing'),
      rejection('2020-13-01', "date '2020-13-01' is not a valid date"),
    ];
    await repo.saveIngestion({ runId: 'run-1', ticker: 'AAA', bars: [], rejected });
    const again = await repo.saveIngestion({ runId: 'run-2', ticker: 'AAA', bars: [], rejected });
    expect(again.rejectedCount).toBe(2);
    const rows = await t.db
      .selectFrom('rejected_rows')
      .select(['source_date', 'reason', 'first_run_id'])
      .orderBy('source_date')
      .execute();
    expect(rows).toEqual([
      { source_date: '2020-01-06', reason: 'open is missing', first_run_id: 'run-1' },
      { source_date: '2020-13-01', reason: "date '2020-13-01' is not a valid date", first_run_id: 'run-1' },
    ]);
  });

  it('records failures and rejections whose text holds NUL bytes (a garbage file must still be reported)', async () => {
    await repo.recordFailure('run-1', 'BAD', 'header is not a CSV header: "\u0000\u0001<html>"');
    await repo.saveIngestion({
      runId: 'run-1',
      ticker: 'AAA',
      bars: [],
      rejected: [rejection('20\u00000-01-06', 'date is not valid')],
    });
    const recorded = await repo.recordedResults('run-1', ['BAD']);
    expect(recorded.get('BAD')!.error).toBe('header is not a CSV header: "\uFFFD\u0001<html>"');
  });

  it("tracks each ticker's last date and the newest bars for the lookback", async () => {
    const bars = ['2020-01-02', '2020-01-03', '2020-01-06', '2020-01-07'].map((d, i) => bar(d, 10 + i));
    await repo.saveIngestion({ runId: 'run-1', ticker: 'AAA', bars, rejected: [] });
    expect(await repo.lastBarDates(['AAA', 'ZZZ'])).toEqual(new Map([['AAA', '2020-01-07']]));
    expect((await repo.latestBars('AAA', 2)).map((b) => b.date)).toEqual(['2020-01-06', '2020-01-07']);
    expect((await repo.bars('AAA', { from: '2020-01-03', to: '2020-01-06' })).map((b) => b.date)).toEqual([
      '2020-01-03',
      '2020-01-06',
    ]);
    expect(await repo.storedTickers()).toEqual(['AAA']);
  });

  it('records results per run so a retried batch can resume', async () => {
    await repo.saveIngestion({ runId: 'run-1', ticker: 'AAA', bars: [bar('2020-01-02', 10)], rejected: [] });
    await repo.recordFailure('run-1', 'BBB', 'no file for BBB');
    await repo.recordFailure('run-1', 'BBB', 'no file for BBB');
    const recorded = await repo.recordedResults('run-1', ['AAA', 'BBB', 'CCC']);
    expect(recorded.get('AAA')).toMatchObject({ status: 'ok', inserted: 1 });
    expect(recorded.get('BBB')).toMatchObject({ status: 'failed', error: 'no file for BBB' });
    expect(recorded.has('CCC')).toBe(false);
    await repo.finishRun('run-1', 'completed_with_failures');
    const run = await t.db
      .selectFrom('ingestion_runs')
      .selectAll()
      .where('run_id', '=', 'run-1')
      .executeTakeFirstOrThrow();
    expect(run.status).toBe('completed_with_failures');
    expect(run.finished_at).toBeInstanceOf(Date);
  });

  it('saves a batch in one transaction: a first backfill, an upsert, a fractional volume and a ticker with only rejections, with exact counts', async () => {
    await repo.saveIngestion({
      runId: 'run-1',
      ticker: 'OLD',
      bars: [bar('2020-01-02', 10), bar('2020-01-03', 11)],
      rejected: [],
    });
    const results = await repo.saveIngestions([
      {
        runId: 'run-2',
        ticker: 'NEW',
        bars: [bar('2020-01-02', 5, { volume: 2 ** 40 + 7 }), bar('2020-01-03', 6, { rawClose: 12, splitFactor: 2 })],
        rejected: [],
      },
      {
        runId: 'run-2',
        ticker: 'OLD',
        bars: [bar('2020-01-02', 10), bar('2020-01-03', 11.5), bar('2020-01-06', 12)],
        rejected: [],
      },
      { runId: 'run-2', ticker: 'FRAC', bars: [bar('2020-01-02', 7, { volume: 1234.25 })], rejected: [] },
      { runId: 'run-2', ticker: 'NONE', bars: [], rejected: [rejection('2020-01-02', 'open is missing')] },
    ]);
    expect(results.map((r) => [r.ticker, r.inserted, r.updated, r.unchanged, r.rejectedCount, r.lastDate])).toEqual([
      ['NEW', 2, 0, 0, 0, '2020-01-03'],
      ['OLD', 1, 1, 1, 0, '2020-01-06'],
      ['FRAC', 1, 0, 0, 0, '2020-01-02'],
      ['NONE', 0, 0, 0, 1, null],
    ]);
    expect(await repo.bars('NEW')).toEqual([
      bar('2020-01-02', 5, { volume: 2 ** 40 + 7 }),
      bar('2020-01-03', 6, { rawClose: 12, splitFactor: 2 }),
    ]);
    expect((await repo.bars('FRAC'))[0].volume).toBe(1234);
    expect(await repo.storedTickers()).toEqual(['FRAC', 'NEW', 'OLD']);
    const recorded = await repo.recordedResults('run-2', ['NEW', 'OLD', 'FRAC', 'NONE']);
    expect([...recorded.keys()].sort()).toEqual(['FRAC', 'NEW', 'NONE', 'OLD']);
  });

  it('writes nothing of a batch when one of its tickers cannot be stored', async () => {
    const huge = bar('2020-01-02', 5, { volume: 1e20 });
    await expect(
      repo.saveIngestions([
        { runId: 'run-1', ticker: 'GOOD', bars: [bar('2020-01-02', 10)], rejected: [] },
        { runId: 'run-1', ticker: 'HUGE', bars: [huge], rejected: [] },
      ]),
    ).rejects.toThrow(/bigint|out of range/);
    expect(await repo.storedTickers()).toEqual([]);
    expect((await repo.recordedResults('run-1', ['GOOD', 'HUGE'])).size).toBe(0);
    // The connection that failed is not reused broken: the next save works.
    expect(
      (await repo.saveIngestion({ runId: 'run-1', ticker: 'GOOD', bars: [bar('2020-01-02', 10)], rejected: [] }))
        .inserted,
    ).toBe(1);
  });

  it('analyzes daily_bars once, when the run finishes, not after every batch: a never-analyzed table left a batch read scanning the whole table', async () => {
    const days = Array.from({ length: 2_000 }, (_, i) => new Date(Date.UTC(2010, 0, 1) + i * 86_400_000));
    const bars = days.map((d, i) => bar(d.toISOString().slice(0, 10), 10 + (i % 7)));
    const analyzed = async () => {
      const { rows } = await sql<{ tuples: number; analyzes: number }>`
        select c.reltuples::float8 as tuples, coalesce(s.analyze_count, 0)::int as analyzes
        from pg_class c left join pg_stat_user_tables s on s.relid = c.oid
        where c.oid = 'daily_bars'::regclass`.execute(t.db);
      return rows[0];
    };
    const before = (await analyzed()).analyzes;
    // Two batches of 6,000 rows, each past ANALYZE_MIN_ROWS with the table before it: neither analyzes.
    for (const batch of [
      ['BK1', 'BK2', 'BK3'],
      ['BK4', 'BK5', 'BK6'],
    ])
      await repo.saveIngestions(batch.map((ticker) => ({ runId: 'run-1', ticker, bars, rejected: [] })));
    expect(await analyzed()).toEqual({ tuples: -1, analyzes: before });
    await repo.finishRun('run-1', 'completed');
    // ANALYZE's estimate of the 12,000 rows, from one ANALYZE.
    const after = await analyzed();
    expect(after.tuples).toBeGreaterThanOrEqual(12_000 * 0.9);
    expect(after.analyzes).toBe(before + 1);
    // A run that wrote little changes nothing.
    await repo.saveIngestion({ runId: 'run-2', ticker: 'BK7', bars: bars.slice(0, 10), rejected: [] });
    await repo.finishRun('run-2', 'completed');
    expect((await analyzed()).analyzes).toBe(before + 1);
  });
});
