import { sql, type Kysely, type Selectable } from 'kysely';
import type { IsoDate } from '../../domain/dates';
import type { LabelState, ResearchRepository, StoredSignal, TickerStrategy } from '../../domain/research/ports';
import { RECOMMENDED_LABEL_PREFIX, RECOMMENDED_STRATEGY } from '../../domain/subscriptions';
import type { Database, SignalTable } from './database';
import { signalRecordOf, storedRangeOf } from './bar-queries';

const toSignal = (r: Selectable<SignalTable>): StoredSignal => ({ ...signalRecordOf(r), runDate: r.run_date });

/**
 * True for a signal row `g` that a sent delivery (a daily digest or a manual
 * send) carried to some subscriber. One place says what "sent" means.
 */
const SENT = sql`exists (
  select 1 from delivered_signals ds
  join deliveries d on d.kind = ds.kind and d.run_date = ds.run_date and d.subscriber_id = ds.subscriber_id and d.seq = ds.seq
  where ds.date = g.date and ds.ticker = g.ticker and ds.strategy = g.strategy and d.status = 'sent')`;

/** The research pages' reads in Postgres. */
export class PostgresResearchRepository implements ResearchRepository {
  constructor(private readonly db: Kysely<Database>) {}

  storedRange(ticker: string): Promise<{ first: IsoDate; last: IsoDate } | null> {
    return storedRangeOf(this.db, ticker);
  }

  async signal(key: TickerStrategy & { date: IsoDate }): Promise<StoredSignal | null> {
    const row = await this.db
      .selectFrom('signals')
      .selectAll()
      .where('ticker', '=', key.ticker)
      .where('strategy', '=', key.strategy)
      .where('date', '=', key.date)
      .executeTakeFirst();
    return row ? toSignal(row) : null;
  }

  async trades(input: { ticker: string; strategy?: string; from?: IsoDate; to?: IsoDate }): Promise<StoredSignal[]> {
    let q = this.db
      .selectFrom('signals')
      .selectAll()
      .where('ticker', '=', input.ticker)
      .where('signal', 'in', ['BUY', 'SELL']);
    if (input.strategy) q = q.where('strategy', '=', input.strategy);
    if (input.from) q = q.where('date', '>=', input.from);
    if (input.to) q = q.where('date', '<=', input.to);
    return (await q.orderBy('date').orderBy('strategy').execute()).map(toSignal);
  }

  async latestTrades(ticker: string, limit: number): Promise<StoredSignal[]> {
    const rows = await this.db
      .selectFrom('signals')
      .selectAll()
      .where('ticker', '=', ticker)
      .where('signal', 'in', ['BUY', 'SELL'])
      .orderBy('date', 'desc')
      .orderBy('strategy')
      .limit(limit)
      .execute();
    return rows.map(toSignal);
  }

  async labelStates(ticker: string): Promise<LabelState[]> {
    const result = await sql<
      Selectable<SignalTable> & { last_buy: string | null; last_sell: string | null; trades: number }
    >`
      with trades as (
        select strategy, max(date) filter (where signal = 'BUY') as last_buy, max(date) filter (where signal = 'SELL') as last_sell,
          count(*)::int as trades
        from signals where ticker = ${ticker} and signal in ('BUY', 'SELL') group by strategy),
      latest as (
        select distinct on (strategy) * from signals where ticker = ${ticker} order by strategy, date desc)
      select l.*, t.last_buy, t.last_sell, coalesce(t.trades, 0) as trades
      from latest l left join trades t on t.strategy = l.strategy
      order by l.strategy`.execute(this.db);
    return result.rows.map((r) => ({
      strategy: r.strategy,
      last: toSignal(r),
      lastBuy: r.last_buy,
      lastSell: r.last_sell,
      trades: r.trades,
    }));
  }

  async wasSent(key: TickerStrategy & { date: IsoDate }): Promise<boolean> {
    const result = await sql<{ sent: boolean }>`
      select ${SENT} as sent from signals g
      where g.ticker = ${key.ticker} and g.strategy = ${key.strategy} and g.date = ${key.date}`.execute(this.db);
    return result.rows[0]?.sent ?? false;
  }

  async sentPairs(input: {
    ticker?: string;
    strategy?: string;
    after?: TickerStrategy;
    limit: number;
  }): Promise<TickerStrategy[]> {
    const filters = [sql`g.signal in ('BUY', 'SELL')`, SENT];
    if (input.ticker) filters.push(sql`g.ticker = ${input.ticker}`);
    if (input.strategy === RECOMMENDED_STRATEGY) filters.push(sql`g.strategy like ${`${RECOMMENDED_LABEL_PREFIX}%`}`);
    else if (input.strategy) filters.push(sql`g.strategy = ${input.strategy}`);
    if (input.after) filters.push(sql`(g.ticker, g.strategy) > (${input.after.ticker}, ${input.after.strategy})`);
    const result = await sql<TickerStrategy>`
      select distinct g.ticker, g.strategy from signals g
      where ${sql.join(filters, sql` and `)}
      order by g.ticker, g.strategy limit ${input.limit}`.execute(this.db);
    return result.rows;
  }

  async sentTrades(pairs: readonly TickerStrategy[]): Promise<StoredSignal[]> {
    if (pairs.length === 0) return [];
    const result = await sql<Selectable<SignalTable>>`
      select g.* from signals g
      join unnest(${pairs.map((p) => p.ticker)}::text[], ${pairs.map((p) => p.strategy)}::text[]) as p(ticker, strategy)
        on g.ticker = p.ticker and g.strategy = p.strategy
      where g.signal in ('BUY', 'SELL') and ${SENT}
      order by g.date, g.ticker, g.strategy`.execute(this.db);
    return result.rows.map(toSignal);
  }

  async dailyDeliveries(
    dates: readonly IsoDate[],
  ): Promise<Map<IsoDate, { sent: number; failed: number; claimed: number }>> {
    if (dates.length === 0) return new Map();
    const rows = await this.db
      .selectFrom('deliveries')
      .select((eb) => [
        'run_date',
        eb.fn.count<number>('subscriber_id').filterWhere('status', '=', 'sent').as('sent'),
        eb.fn.count<number>('subscriber_id').filterWhere('status', '=', 'failed').as('failed'),
        eb.fn.count<number>('subscriber_id').filterWhere('status', '=', 'claimed').as('claimed'),
      ])
      .where('kind', '=', 'daily')
      .where('run_date', 'in', [...dates])
      .groupBy('run_date')
      .execute();
    return new Map(
      rows.map((r) => [r.run_date, { sent: Number(r.sent), failed: Number(r.failed), claimed: Number(r.claimed) }]),
    );
  }

  async staleTickers(
    date: IsoDate,
    tickers: readonly string[],
  ): Promise<Array<{ ticker: string; lastDate: IsoDate | null }>> {
    if (tickers.length === 0) return [];
    const result = await sql<{ ticker: string; last_date: string | null }>`
      select t.ticker, (select max(b.date) from daily_bars b where b.ticker = t.ticker and b.date <= ${date}::date) as last_date
      from unnest(${[...tickers]}::text[]) as t(ticker)
      where not exists (select 1 from daily_bars b where b.ticker = t.ticker and b.date = ${date}::date)
      order by t.ticker`.execute(this.db);
    return result.rows.map((r) => ({ ticker: r.ticker, lastDate: r.last_date }));
  }
}
