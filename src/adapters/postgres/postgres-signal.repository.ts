import { sql, type Kysely } from 'kysely';
import {
  stateKey,
  type RecordingRun,
  type SignalFilter,
  type SignalRecord,
  type SignalRepository,
  type StrategyPair,
} from '../../domain/ports';
import type { IsoDate } from '../../domain/dates';
import { RECOMMENDED_LABEL_PREFIX, RECOMMENDED_STRATEGY } from '../../domain/subscriptions';
import type { Database } from './database';
import { signalRecordOf } from './bar-queries';

/** Signals in Postgres, one row per (date, ticker, strategy). */
export class PostgresSignalRepository implements SignalRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async record(signals: readonly SignalRecord[], runDate?: IsoDate, recordedBy?: RecordingRun): Promise<number> {
    if (signals.length === 0) return 0;
    const result = await sql<{ n: number }>`
      with inserted as (
        insert into signals (date, ticker, strategy, strategy_version, signal, close, inputs, reported_by,
          recorded_by_workflow, recorded_by_run, run_date)
        select *, coalesce(${runDate ?? null}::date, date) from unnest(
          ${signals.map((s) => s.date)}::date[], ${signals.map((s) => s.ticker)}::text[], ${signals.map((s) => s.strategy)}::text[],
          ${signals.map((s) => s.strategyVersion)}::int[], ${signals.map((s) => s.signal)}::text[], ${signals.map((s) => s.close)}::float8[],
          ${signals.map((s) => JSON.stringify(s.inputs))}::jsonb[], ${signals.map((s) => s.reportedBy ?? null)}::text[],
          ${signals.map(() => recordedBy?.workflowId ?? null)}::text[], ${signals.map(() => recordedBy?.runId ?? null)}::text[])
          as t(date, ticker, strategy, strategy_version, signal, close, inputs, reported_by, recorded_by_workflow, recorded_by_run)
        on conflict (date, ticker, strategy) do nothing
        returning 1)
      select count(*)::int as n from inserted`.execute(this.db);
    return result.rows[0].n;
  }

  async list(filter: SignalFilter): Promise<SignalRecord[]> {
    let q = this.db.selectFrom('signals').selectAll();
    if (filter.date) q = q.where('date', '=', filter.date);
    if (filter.runDate) q = q.where('run_date', '=', filter.runDate);
    if (filter.from) q = q.where('date', '>=', filter.from);
    if (filter.to) q = q.where('date', '<=', filter.to);
    if (filter.ticker) q = q.where('ticker', '=', filter.ticker);
    // `recommended` lists the signals of every ticker's recommendation (recorded as `recommended:<name>`).
    if (filter.strategy === RECOMMENDED_STRATEGY) q = q.where('strategy', 'like', `${RECOMMENDED_LABEL_PREFIX}%`);
    else if (filter.strategy) q = q.where('strategy', '=', filter.strategy);
    if (filter.signals?.length) q = q.where('signal', 'in', [...filter.signals]);
    if (filter.after) {
      const { date, ticker, strategy } = filter.after;
      q = q.where(sql<boolean>`(date, ticker, strategy) > (${date}::date, ${ticker}, ${strategy})`);
    }
    if (filter.limit !== undefined) q = q.limit(filter.limit);
    const rows = await q.orderBy('date').orderBy('ticker').orderBy('strategy').execute();
    return rows.map(signalRecordOf);
  }

  async countByRecorder(
    runDate: IsoDate,
    tickers: readonly string[],
  ): Promise<Array<{ recordedBy: RecordingRun | null; count: number }>> {
    if (tickers.length === 0) return [];
    const rows = await this.db
      .selectFrom('signals')
      .select(['recorded_by_workflow', 'recorded_by_run', (eb) => eb.fn.countAll<string>().as('n')])
      .where('run_date', '=', runDate)
      .where('ticker', 'in', [...tickers])
      .groupBy(['recorded_by_workflow', 'recorded_by_run'])
      .orderBy((eb) => eb.fn.min('recorded_at'))
      .execute();
    return rows.map((r) => ({
      recordedBy:
        r.recorded_by_workflow && r.recorded_by_run
          ? { workflowId: r.recorded_by_workflow, runId: r.recorded_by_run }
          : null,
      count: Number(r.n),
    }));
  }

  async lastSignalDates(pairs: ReadonlyArray<StrategyPair>): Promise<Map<string, IsoDate>> {
    if (pairs.length === 0) return new Map();
    // One index probe per pair (signals_by_ticker, newest first), not a scan of every signal of the tickers.
    const result = await sql<{ ticker: string; strategy: string; last: IsoDate }>`
      select p.ticker, p.strategy, s.date as last
      from unnest(${pairs.map((p) => p.ticker)}::text[], ${pairs.map((p) => p.strategy)}::text[]) as p(ticker, strategy)
      cross join lateral (
        select date from signals
        where signals.ticker = p.ticker and signals.strategy = p.strategy and signals.reported_by is null
        order by date desc
        limit 1) s`.execute(this.db);
    return new Map(result.rows.map((r) => [stateKey(r.ticker, r.strategy), r.last]));
  }
}
