import { sql, type Kysely, type Transaction } from 'kysely';
import type { EnrichedBar, RejectedRow } from '../../domain/bar';
import type { IsoDate } from '../../domain/dates';
import type { ProviderAttempt } from '../../domain/market-data';
import type { IngestionRunRepository, PriceRepository, TickerIngestionResult, UpsertCounts } from '../../domain/ports';
import type { Database, DailyBarRow } from './database';
import { readPackedBars } from './packed-bars';

/** Postgres text and jsonb cannot hold NUL: a garbage source file must still be recordable. */
export function pgSafeText(text: string): string {
  return text.replace(/\u0000/g, '\uFFFD');
}

/** JSON for a jsonb column: jsonb refuses the \u0000 escape that JSON.stringify writes for NUL. */
export function pgSafeJson(value: unknown): string {
  return pgSafeText(JSON.stringify(value)).replace(/(?<!\\)((?:\\\\)*)\\u0000/g, '$1\\ufffd');
}

/** How many rejected rows a run's report keeps per ticker (all are stored in rejected_rows). */
export const REPORTED_REJECTIONS_LIMIT = 100;

const BAR_COLUMNS = [
  'open', 'high', 'low', 'close', 'adj_close', 'volume',
  'sma7', 'sma21', 'sma50', 'sma100', 'sma200', 'ema12', 'ema26', 'macd', 'macd_signal',
] as const;

/** Map a row to the domain's camelCase bar (snake_case stays in the adapter). */
export function toEnrichedBar(row: Omit<DailyBarRow, 'ticker'>): EnrichedBar {
  return {
    date: row.date,
    open: row.open,
    high: row.high,
    low: row.low,
    close: row.close,
    adjClose: row.adj_close,
    volume: row.volume,
    sma7: row.sma7,
    sma21: row.sma21,
    sma50: row.sma50,
    sma100: row.sma100,
    sma200: row.sma200,
    ema12: row.ema12,
    ema26: row.ema26,
    macd: row.macd,
    macdSignal: row.macd_signal,
  };
}

const columnValues: Record<(typeof BAR_COLUMNS)[number], (b: EnrichedBar) => number | null> = {
  open: (b) => b.open,
  high: (b) => b.high,
  low: (b) => b.low,
  close: (b) => b.close,
  adj_close: (b) => b.adjClose,
  volume: (b) => b.volume,
  sma7: (b) => b.sma7,
  sma21: (b) => b.sma21,
  sma50: (b) => b.sma50,
  sma100: (b) => b.sma100,
  sma200: (b) => b.sma200,
  ema12: (b) => b.ema12,
  ema26: (b) => b.ema26,
  macd: (b) => b.macd,
  macd_signal: (b) => b.macdSignal,
};

/**
 * Upsert bars of one ticker in a single statement: one array parameter per
 * column, unnested server-side (far fewer bytes and parse work than a
 * multi-row VALUES list). Rows whose values are all unchanged are not
 * touched, so re-running an ingestion writes nothing.
 */
async function upsertBars(trx: Transaction<Database>, ticker: string, bars: readonly EnrichedBar[]): Promise<UpsertCounts> {
  if (bars.length === 0) return { inserted: 0, updated: 0, unchanged: 0 };
  const arrays = BAR_COLUMNS.map((c) => bars.map(columnValues[c]));
  const cols = sql.raw(BAR_COLUMNS.join(', '));
  const unnestArgs = sql.join([
    sql`${bars.map((b) => b.date)}::date[]`,
    ...BAR_COLUMNS.map((c, i) => (c === 'volume' ? sql`${arrays[i]}::bigint[]` : sql`${arrays[i]}::float8[]`)),
  ]);
  const setList = sql.raw(BAR_COLUMNS.map((c) => `${c} = excluded.${c}`).join(', '));
  const changed = sql.raw(
    `(${BAR_COLUMNS.map((c) => `daily_bars.${c}`).join(', ')}) is distinct from (${BAR_COLUMNS.map((c) => `excluded.${c}`).join(', ')})`,
  );
  const result = await sql<{ inserted: boolean }>`
    insert into daily_bars (ticker, date, ${cols})
    select ${ticker}, * from unnest(${unnestArgs})
    on conflict (ticker, date) do update set ${setList} where ${changed}
    returning (xmax = 0) as inserted`.execute(trx);
  const inserted = result.rows.filter((r) => r.inserted).length;
  const updated = result.rows.length - inserted;
  return { inserted, updated, unchanged: bars.length - result.rows.length };
}

async function storeRejections(trx: Transaction<Database>, runId: string, ticker: string, rejected: readonly RejectedRow[]): Promise<void> {
  if (rejected.length === 0) return;
  await sql`
    insert into rejected_rows (ticker, source_date, reason, raw, first_run_id)
    select ${ticker}, d, r, x::jsonb, ${runId}
    from unnest(${rejected.map((r) => pgSafeText(r.date))}::text[], ${rejected.map((r) => pgSafeText(r.reason))}::text[], ${rejected.map((r) => pgSafeJson(r.raw))}::text[]) as t(d, r, x)
    on conflict (ticker, source_date, reason) do nothing`.execute(trx);
}

/** Postgres storage of bars, rejections and ingestion runs. */
export class PostgresPriceRepository implements PriceRepository, IngestionRunRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async lastBarDates(tickers: readonly string[]): Promise<Map<string, IsoDate>> {
    if (tickers.length === 0) return new Map();
    const rows = await this.db
      .selectFrom('tickers')
      .select(['symbol', 'last_date'])
      .where('symbol', 'in', [...tickers])
      .where('last_date', 'is not', null)
      .execute();
    return new Map(rows.map((r) => [r.symbol, r.last_date as string]));
  }

  async latestBars(ticker: string, count: number): Promise<EnrichedBar[]> {
    const rows = await this.db
      .selectFrom('daily_bars')
      .selectAll()
      .where('ticker', '=', ticker)
      .orderBy('date', 'desc')
      .limit(count)
      .execute();
    return rows.reverse().map(toEnrichedBar);
  }

  async bars(ticker: string, range: { from?: IsoDate; to?: IsoDate } = {}): Promise<EnrichedBar[]> {
    let query = this.db.selectFrom('daily_bars').selectAll().where('ticker', '=', ticker);
    if (range.from) query = query.where('date', '>=', range.from);
    if (range.to) query = query.where('date', '<=', range.to);
    const rows = await query.orderBy('date').execute();
    return rows.map(toEnrichedBar);
  }

  async barsOfTickers(tickers: readonly string[], range: { to: IsoDate }): Promise<Map<string, EnrichedBar[]>> {
    return readPackedBars(this.db, tickers, range, 'enriched');
  }

  async storedTickers(): Promise<string[]> {
    const rows = await this.db.selectFrom('tickers').select('symbol').where('last_date', 'is not', null).orderBy('symbol').execute();
    return rows.map((r) => r.symbol);
  }

  async saveIngestion(input: {
    runId: string;
    ticker: string;
    bars: readonly EnrichedBar[];
    rejected: readonly RejectedRow[];
    provider?: string;
    failover?: readonly ProviderAttempt[];
  }): Promise<TickerIngestionResult> {
    const { runId, ticker, bars, rejected } = input;
    return this.db.transaction().execute(async (trx) => {
      await trx.insertInto('tickers').values({ symbol: ticker }).onConflict((oc) => oc.column('symbol').doNothing()).execute();
      const counts = await upsertBars(trx, ticker, bars);
      await storeRejections(trx, runId, ticker, rejected);
      const span = await trx
        .updateTable('tickers')
        .set({
          first_date: sql`(select min(date) from daily_bars where ticker = ${ticker})`,
          last_date: sql`(select max(date) from daily_bars where ticker = ${ticker})`,
          updated_at: sql`now()`,
        })
        .where('symbol', '=', ticker)
        .returning('last_date')
        .executeTakeFirstOrThrow();
      const result: TickerIngestionResult = {
        ticker,
        status: 'ok',
        ...counts,
        rejected: rejected.slice(0, REPORTED_REJECTIONS_LIMIT).map((r) => ({ date: r.date, reason: r.reason })),
        rejectedCount: rejected.length,
        lastDate: span.last_date,
        ...providerFields(input.provider, input.failover),
      };
      await this.writeResult(trx, runId, result);
      return result;
    });
  }

  async startRun(input: { runId: string; asOf: IsoDate; provider: string; tickers: readonly string[] }): Promise<void> {
    await this.db
      .insertInto('ingestion_runs')
      .values({ run_id: input.runId, as_of: input.asOf, provider: input.provider, tickers: [...input.tickers], status: 'running' })
      .onConflict((oc) => oc.column('run_id').doNothing())
      .execute();
  }

  async recordedResults(runId: string, tickers: readonly string[]): Promise<Map<string, TickerIngestionResult>> {
    if (tickers.length === 0) return new Map();
    const rows = await this.db
      .selectFrom('ingestion_run_tickers')
      .selectAll()
      .where('run_id', '=', runId)
      .where('ticker', 'in', [...tickers])
      .execute();
    return new Map(
      rows.map((r) => [
        r.ticker,
        {
          ticker: r.ticker,
          status: r.status,
          inserted: r.inserted,
          updated: r.updated,
          unchanged: r.unchanged,
          rejected: r.rejected,
          rejectedCount: r.rejected_count,
          lastDate: r.last_date,
          ...(r.error ? { error: r.error } : {}),
          ...providerFields(r.provider ?? undefined, r.failover),
        },
      ]),
    );
  }

  async recordFailure(runId: string, ticker: string, error: string, failover?: readonly ProviderAttempt[]): Promise<void> {
    const [last] = (await this.lastBarDates([ticker])).values();
    await this.writeResult(this.db, runId, {
      ticker, status: 'failed', inserted: 0, updated: 0, unchanged: 0, rejected: [], rejectedCount: 0, lastDate: last ?? null, error,
      ...providerFields(undefined, failover),
    });
  }

  async finishRun(runId: string, status: 'completed' | 'completed_with_failures'): Promise<void> {
    await this.db.updateTable('ingestion_runs').set({ status, finished_at: sql`now()` }).where('run_id', '=', runId).execute();
  }

  private async writeResult(db: Kysely<Database>, runId: string, r: TickerIngestionResult): Promise<void> {
    const values = {
      status: r.status,
      inserted: r.inserted,
      updated: r.updated,
      unchanged: r.unchanged,
      rejected_count: r.rejectedCount,
      rejected: pgSafeJson(r.rejected),
      last_date: r.lastDate,
      error: r.error === undefined ? null : pgSafeText(r.error),
      provider: r.provider ?? null,
      failover: pgSafeJson(r.failover ?? []),
    };
    await db
      .insertInto('ingestion_run_tickers')
      .values({ run_id: runId, ticker: r.ticker, ...values })
      .onConflict((oc) => oc.columns(['run_id', 'ticker']).doUpdateSet(values))
      .execute();
  }
}

/** The optional provider fields of a result: absent rather than empty. */
function providerFields(provider: string | undefined, failover: readonly ProviderAttempt[] | undefined): Pick<TickerIngestionResult, 'provider' | 'failover'> {
  return {
    ...(provider ? { provider } : {}),
    ...(failover && failover.length > 0 ? { failover: failover.map((a) => ({ provider: a.provider, error: a.error })) } : {}),
  };
}
