import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { sql } from 'kysely';
import { parsePriceCsv } from '../src/adapters/market-data/csv-market-data.provider';
import { validatePriceRows } from '../src/domain/price-validation';
import type { Bar } from '../src/domain/bar';
import type { IngestPricesInput, IngestPricesResult } from '../src/workflows/ingest-prices.workflow';
import {
  benchConfig,
  Cleanup,
  clearRedisPrefix,
  createBenchDatabase,
  duration,
  log,
  num,
  since,
  SP500_DIR,
  startBenchTemporal,
  startBenchWorker,
  type BenchRow,
} from './support';

/** Issue 2 item 12: the whole S&P 500 backfill must take at most this long. */
const TARGET_MS = 10_000;
/** Issue 9 item 5: the backfill through the workflow at most this many times a bare `psql \copy` of the same files. */
const COPY_FLOOR_TARGET_RATIO = 3;
const AS_OF = '2018-02-07';
/** Rows per statement of the baseline's multi-row INSERT. */
const BASELINE_ROWS_PER_STATEMENT = 1000;

/** Every S&P file parsed and validated: the rows the baseline inserts. */
async function parseAll(): Promise<{ bars: Array<{ ticker: string; bars: Bar[] }>; rows: number; ms: number }> {
  const start = performance.now();
  const files = (await fs.readdir(SP500_DIR)).filter((f) => f.endsWith('_data.csv')).sort();
  const out: Array<{ ticker: string; bars: Bar[] }> = [];
  let rows = 0;
  for (const file of files) {
    const raw = parsePriceCsv(await fs.readFile(path.join(SP500_DIR, file), 'utf8'), file);
    rows += raw.length;
    out.push({ ticker: file.replace(/_data\.csv$/, ''), bars: validatePriceRows(raw, { asOf: AS_OF }).bars });
  }
  return { bars: out, rows, ms: since(start) };
}

/**
 * The simple way: the same parsed rows, no enrichment, inserted with plain
 * multi-row `INSERT ... VALUES` statements of 1,000 rows on one connection
 * into an empty copy of the bars table (same primary key).
 */
async function baselineInsert(
  url: string,
  tickers: Array<{ ticker: string; bars: Bar[] }>,
): Promise<{ ms: number; rows: number }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('create table daily_bars_baseline (like daily_bars including all)');
    const all = tickers.flatMap(({ ticker, bars }) =>
      bars.map((b) => [ticker, b.date, b.open, b.high, b.low, b.close, b.adjClose, b.volume]),
    );
    const columns = '(ticker, date, open, high, low, close, adj_close, volume)';
    const start = performance.now();
    for (let i = 0; i < all.length; i += BASELINE_ROWS_PER_STATEMENT) {
      const batch = all.slice(i, i + BASELINE_ROWS_PER_STATEMENT);
      const tuples = batch.map((_, r) => `(${Array.from({ length: 8 }, (__, c) => `$${r * 8 + c + 1}`).join(',')})`);
      await client.query(`insert into daily_bars_baseline ${columns} values ${tuples.join(',')}`, batch.flat());
    }
    const ms = since(start);
    const { rows } = await client.query<{ n: string }>('select count(*) as n from daily_bars_baseline');
    await client.query('drop table daily_bars_baseline');
    return { ms, rows: Number(rows[0].n) };
  } finally {
    await client.end();
  }
}

/**
 * The floor (issue 9 item 5): one `psql` running `\copy` of every S&P file
 * as it is (CSV with header) into a table with a primary key, timed from
 * psql's start to its exit, in the same run as the workflow.
 */
async function psqlCopyFloor(url: string): Promise<{ ms: number; rows: number }> {
  const files = (await fs.readdir(SP500_DIR)).filter((f) => f.endsWith('_data.csv')).sort();
  const scriptDir = await fs.mkdtemp(path.join(os.tmpdir(), 'algo-bench-copy-'));
  const script = path.join(scriptDir, 'floor.sql');
  const quoted = (file: string) => `'${path.join(SP500_DIR, file).replace(/'/g, "''")}'`;
  await fs.writeFile(
    script,
    files.map((f) => `\\copy copy_floor from ${quoted(f)} with (format csv, header true)\n`).join(''),
  );
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`create table copy_floor (date date, open float8, high float8, low float8, close float8, volume bigint, name text,
      primary key (name, date))`);
    const start = performance.now();
    await new Promise<void>((resolve, reject) => {
      const psql = spawn('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', url, '-f', script], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      psql.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      psql.on('error', (err) =>
        reject(new Error(`psql could not start (${err.message}): the \\copy floor needs psql on PATH`)),
      );
      psql.on('exit', (code) =>
        code === 0 ? resolve() : reject(new Error(`psql \\copy exited ${code}: ${stderr.trim()}`)),
      );
    });
    const ms = since(start);
    const { rows } = await client.query<{ n: string }>('select count(*) as n from copy_floor');
    await client.query('drop table copy_floor');
    return { ms, rows: Number(rows[0].n) };
  } finally {
    await client.end();
    await fs.rm(scriptDir, { recursive: true, force: true });
  }
}

/**
 * Issue 2 item 12: backfill all 505 S&P 500 tickers through the ingestion
 * workflow (csv provider, enrichment) into an empty database, against a plain
 * multi-row INSERT of the same rows measured in the same run.
 */
export async function ingestBench(): Promise<BenchRow[]> {
  const cleanup = new Cleanup();
  try {
    log('ingest: starting Temporal, a private database and a worker');
    const [env, database] = await Promise.all([startBenchTemporal(), createBenchDatabase('ingest')]);
    cleanup.add(() => env.teardown());
    cleanup.add(() => database.destroy());
    const config = benchConfig({ databaseUrl: database.url, temporalAddress: env.address, csvDir: SP500_DIR });
    cleanup.add(() => clearRedisPrefix(config.redis.url, config.redis.keyPrefix));
    const worker = await startBenchWorker(env, config);
    cleanup.add(() => worker.stop());

    log('ingest: baseline (parse, then plain multi-row INSERT of the same rows)');
    const parsed = await parseAll();
    const baseline = await baselineInsert(database.url, parsed.bars);
    log('ingest: floor (psql \\copy of the same files into a table with a primary key)');
    const floor = await psqlCopyFloor(database.url);
    // The baseline's dirty pages must not be flushed during the timed run.
    await sql`checkpoint`.execute(database.db);

    log('ingest: ingestPricesWorkflow over the whole directory');
    const input: IngestPricesInput = {
      provider: 'csv',
      csvDir: SP500_DIR,
      asOf: AS_OF,
      batchSize: config.ingestion.batchSize,
      maxConcurrentBatches: config.ingestion.maxConcurrentBatches,
    };
    const start = performance.now();
    const result = (await env.client.workflow.execute('ingestPricesWorkflow', {
      taskQueue: config.temporal.taskQueue,
      workflowId: `bench-ingest-${Date.now()}`,
      args: [input],
    })) as IngestPricesResult;
    const wallMs = since(start);

    const failed = result.tickers.filter((t) => t.status !== 'ok');
    if (failed.length > 0)
      throw new Error(`ingestion failed for ${failed.map((t) => `${t.ticker} (${t.error})`).join(', ')}`);
    const inserted = result.tickers.reduce((n, t) => n + t.inserted, 0);
    const rejected = result.tickers.reduce((n, t) => n + t.rejectedCount, 0);
    const stored = await database.db
      .selectFrom('daily_bars')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    const enriched = await database.db
      .selectFrom('daily_bars')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('sma200', 'is not', null)
      .where('macd_signal', 'is not', null)
      .executeTakeFirstOrThrow();
    if (Number(stored.n) !== inserted || inserted !== baseline.rows) {
      throw new Error(
        `row counts disagree: workflow inserted ${inserted}, table holds ${stored.n}, baseline ${baseline.rows}`,
      );
    }

    const batches = Math.ceil(result.tickers.length / input.batchSize!);
    return [
      { figure: 'ingest: tickers / source rows', value: `${result.tickers.length} / ${num(parsed.rows)}` },
      {
        figure: 'ingest: bars stored / rows rejected',
        value: `${num(inserted)} / ${rejected} (${num(Number(enriched.n))} with sma200+macdSignal)`,
      },
      {
        figure: `ingest: workflow wall time (${batches} batches of ${input.batchSize}, ${input.maxConcurrentBatches} at once)`,
        value: duration(wallMs),
        target: `<= ${duration(TARGET_MS)}`,
        met: wallMs <= TARGET_MS,
      },
      { figure: 'ingest: workflow rows per second', value: num((parsed.rows / wallMs) * 1000) },
      { figure: 'ingest: baseline parse + validate (in process)', value: duration(parsed.ms) },
      {
        figure: `ingest: baseline multi-row INSERT (${BASELINE_ROWS_PER_STATEMENT} rows/stmt, no enrichment)`,
        value: duration(baseline.ms),
      },
      { figure: 'ingest: baseline rows per second (INSERT only)', value: num((baseline.rows / baseline.ms) * 1000) },
      { figure: 'ingest: workflow / baseline INSERT', value: `${num(wallMs / baseline.ms, 2)}x` },
      { figure: 'ingest: workflow / baseline parse + INSERT', value: `${num(wallMs / (baseline.ms + parsed.ms), 2)}x` },
      {
        figure: `ingest: floor psql \\copy of the ${num(floor.rows)} file rows into a table with a PK`,
        value: duration(floor.ms),
      },
      {
        figure: 'ingest: workflow / psql \\copy floor (same run)',
        value: `${num(wallMs / floor.ms, 2)}x`,
        target: `<= ${COPY_FLOOR_TARGET_RATIO}x`,
        met: wallMs <= COPY_FLOOR_TARGET_RATIO * floor.ms,
      },
    ];
  } finally {
    await cleanup.run();
  }
}
