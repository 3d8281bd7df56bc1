import { sql, type Kysely } from 'kysely';
import type {
  NewRecommendation,
  RecommendationChange,
  RecommendationStore,
  StoredRecommendation,
} from '../../domain/ports';
import type { StrategyParams } from '../../domain/strategies/strategy';
import {
  RECOMMENDED_STRATEGY,
  recommendedSubscriptionNote,
  type RecommendationStanding,
} from '../../domain/subscriptions';
import { recommendationChangeNote } from '../../domain/notifications/digest';
import type { Database, RecommendationTable } from './database';
import type { Selectable } from 'kysely';

/** Same strategy and same parameters (null = nothing recommended). */
function sameRecommendation(
  a: { strategy: string | null; params: StrategyParams | null },
  b: { strategy: string | null; params: StrategyParams | null },
): boolean {
  if (a.strategy !== b.strategy) return false;
  const keys = (p: StrategyParams | null) => Object.keys(p ?? {}).sort();
  const ka = keys(a.params);
  return ka.length === keys(b.params).length && ka.every((k) => b.params?.[k] === a.params?.[k]);
}

function toStored(r: Selectable<RecommendationTable>): StoredRecommendation {
  return {
    ticker: r.ticker,
    runId: r.run_id,
    asOf: r.as_of,
    strategy: r.strategy,
    params: r.params,
    reason: r.reason,
    evidence: r.evidence,
    current: r.current,
    changed: r.changed,
    previousStrategy: r.previous_strategy,
    previousParams: r.previous_params,
    createdAt: r.created_at.toISOString(),
  };
}

/**
 * Recommendations in Postgres, the system of record: a row per (run, ticker),
 * history kept, the newest per ticker flagged `current` (a partial unique
 * index guarantees at most one).
 */
export class PostgresRecommendationRepository implements RecommendationStore {
  constructor(private readonly db: Kysely<Database>) {}

  async save(input: { runId: string; recommendations: readonly NewRecommendation[] }): Promise<StoredRecommendation[]> {
    const tickers = input.recommendations.map((r) => r.ticker);
    if (tickers.length === 0) return [];
    return this.db.transaction().execute(async (trx) => {
      // Locked so that two runs saving the same ticker serialise on its current row.
      const previous = await trx
        .selectFrom('recommendations')
        .selectAll()
        .where('ticker', 'in', tickers)
        .where('current', '=', true)
        .forUpdate()
        .execute();
      const previousByTicker = new Map(previous.map((p) => [p.ticker, p]));
      const fresh = input.recommendations.filter((r) => previousByTicker.get(r.ticker)?.run_id !== input.runId);
      if (fresh.length > 0) {
        const inserted = await trx
          .insertInto('recommendations')
          .values(
            fresh.map((r) => {
              const before = previousByTicker.get(r.ticker);
              return {
                run_id: input.runId,
                ticker: r.ticker,
                strategy: r.strategy,
                params: r.params ? JSON.stringify(r.params) : null,
                reason: r.reason,
                evidence: JSON.stringify(r.evidence),
                as_of: r.asOf,
                current: false,
                previous_strategy: before?.strategy ?? null,
                previous_params: before?.params ? JSON.stringify(before.params) : null,
                changed: !before || !sameRecommendation(before, r),
              };
            }),
          )
          // A retried activity finds its rows already there.
          .onConflict((oc) => oc.columns(['run_id', 'ticker']).doNothing())
          .returning(['id', 'ticker'])
          .execute();
        const newTickers = inserted.map((r) => r.ticker);
        if (newTickers.length > 0) {
          // Clear the old flags first: the partial unique index allows one current row per ticker.
          await trx
            .updateTable('recommendations')
            .set({ current: false })
            .where('ticker', 'in', newTickers)
            .where('current', '=', true)
            .execute();
          await trx
            .updateTable('recommendations')
            .set({ current: true })
            .where(
              'id',
              'in',
              inserted.map((r) => r.id),
            )
            .execute();
        }
      }
      const rows = await trx
        .selectFrom('recommendations')
        .selectAll()
        .where('run_id', '=', input.runId)
        .where('ticker', 'in', tickers)
        .orderBy('ticker')
        .execute();
      return rows.map(toStored);
    });
  }

  async current(tickers?: readonly string[]): Promise<StoredRecommendation[]> {
    let query = this.db.selectFrom('recommendations').selectAll().where('current', '=', true);
    if (tickers) {
      if (tickers.length === 0) return [];
      query = query.where('ticker', 'in', [...tickers]);
    }
    return (await query.orderBy('ticker').execute()).map(toStored);
  }

  async history(ticker: string): Promise<StoredRecommendation[]> {
    const rows = await this.db
      .selectFrom('recommendations')
      .selectAll()
      .where('ticker', '=', ticker)
      .orderBy('id')
      .execute();
    return rows.map(toStored);
  }

  /**
   * Per subscriber: the newest change of recommendation of each ticker they
   * follow as `recommended`, made since the later of their subscription and
   * their last sent email (confirmations aside), i.e. not told yet.
   */
  async changesSinceLastEmail(subscriberIds: readonly number[]): Promise<Map<number, RecommendationChange[]>> {
    const out = new Map<number, RecommendationChange[]>();
    if (subscriberIds.length === 0) return out;
    const result = await sql<{
      subscriber_id: number;
      ticker: string;
      strategy: string | null;
      params: StrategyParams | null;
      reason: string | null;
      previous_strategy: string | null;
      previous_params: StrategyParams | null;
    }>`
      select distinct on (sub.subscriber_id, r.ticker)
        sub.subscriber_id, r.ticker, r.strategy, r.params, r.reason, r.previous_strategy, r.previous_params
      from subscriptions sub
      join recommendations r on r.ticker = sub.ticker and r.changed
      where sub.strategy = ${RECOMMENDED_STRATEGY} and sub.subscriber_id = any(${[...subscriberIds]}::int8[])
        and r.created_at > greatest(sub.created_at, coalesce(
          (select max(d.sent_at) from deliveries d where d.subscriber_id = sub.subscriber_id and d.status = 'sent' and d.kind <> 'confirmation'),
          '-infinity'::timestamptz))
      order by sub.subscriber_id, r.ticker, r.created_at desc, r.id desc`.execute(this.db);
    for (const r of result.rows) {
      const id = Number(r.subscriber_id);
      const list = out.get(id) ?? [];
      list.push({
        ticker: r.ticker,
        strategy: r.strategy,
        params: r.params,
        reason: r.reason,
        previousStrategy: r.previous_strategy,
        previousParams: r.previous_params,
      });
      out.set(id, list);
    }
    return out;
  }

  /** {@link changesSinceLastEmail} as digest notes, per subscriber. */
  async changeNotes(subscriberIds: readonly number[]): Promise<Map<number, string[]>> {
    const changes = await this.changesSinceLastEmail(subscriberIds);
    return new Map([...changes].map(([id, list]) => [id, list.map(recommendationChangeNote)]));
  }

  /**
   * Per subscriber: their `recommended` subscriptions that send nothing now
   * (the ticker has no recommendation, or its current one recommends no
   * strategy), by ticker, with that recommendation (null: none ever made).
   */
  async followingNothing(subscriberIds: readonly number[]): Promise<Map<number, Map<string, RecommendationStanding>>> {
    const out = new Map<number, Map<string, RecommendationStanding>>();
    if (subscriberIds.length === 0) return out;
    const rows = await this.db
      .selectFrom('subscriptions as sub')
      .leftJoin('recommendations as r', (join) => join.onRef('r.ticker', '=', 'sub.ticker').on('r.current', '=', true))
      .select(['sub.subscriber_id', 'sub.ticker', 'r.id', 'r.strategy', 'r.params', 'r.reason'])
      .where('sub.strategy', '=', RECOMMENDED_STRATEGY)
      .where('sub.subscriber_id', 'in', [...subscriberIds])
      .where((eb) => eb.or([eb('r.id', 'is', null), eb('r.strategy', 'is', null)]))
      .orderBy('sub.subscriber_id')
      .orderBy('sub.ticker')
      .execute();
    for (const r of rows) {
      const id = Number(r.subscriber_id);
      const byTicker = out.get(id) ?? new Map<string, RecommendationStanding>();
      byTicker.set(r.ticker, r.id === null ? null : { strategy: null, params: r.params, reason: r.reason });
      out.set(id, byTicker);
    }
    return out;
  }

  /**
   * The notes of each subscriber's digest: recommendation changes not told
   * yet ({@link changeNotes}), then, for each `recommended` subscription that
   * sends nothing now and whose change was not just told, that it sends nothing and why.
   */
  async digestNotes(subscriberIds: readonly number[]): Promise<Map<number, string[]>> {
    const [changes, idle] = await Promise.all([
      this.changesSinceLastEmail(subscriberIds),
      this.followingNothing(subscriberIds),
    ]);
    const out = new Map<number, string[]>();
    for (const id of subscriberIds) {
      const told = changes.get(id) ?? [];
      const toldTickers = new Set(told.map((c) => c.ticker));
      const standing = [...(idle.get(id) ?? [])].filter(([ticker]) => !toldTickers.has(ticker));
      const notes = [
        ...told.map(recommendationChangeNote),
        ...standing.map(([ticker, rec]) => recommendedSubscriptionNote(ticker, rec)),
      ];
      if (notes.length > 0) out.set(id, notes);
    }
    return out;
  }
}
