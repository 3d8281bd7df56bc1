import { sql, type Kysely } from 'kysely';
import type { IsoDate } from '../../domain/dates';
import type { ClaimStatus, DeliveryRepository, DigestRecipient, RecipientPage, SignalRecord } from '../../domain/ports';
import type { Database } from './database';

/**
 * Confirmed subscribers' BUY/SELL signals of a date, by their subscriptions;
 * a `recommended` subscription matches the signal of the ticker's current
 * recommended strategy (distinct: it may also be subscribed by name).
 */
function notifiedSignals(date: IsoDate, ticker?: string) {
  return sql`
    select distinct s.id as subscriber_id, s.email, g.date, g.ticker, g.strategy, g.strategy_version, g.signal, g.close, g.inputs
    from subscribers s
    join subscriptions sub on sub.subscriber_id = s.id
    left join recommendations r on sub.strategy = 'recommended' and r.ticker = sub.ticker and r.current
    join signals g on g.ticker = sub.ticker and g.strategy = coalesce(r.strategy, sub.strategy) and g.date = ${date}
    where s.status = 'confirmed' and g.signal in ('BUY', 'SELL') ${ticker ? sql`and g.ticker = ${ticker}` : sql``}`;
}

/** Delivery claims and fan-out recipients in Postgres. */
export class PostgresDeliveryRepository implements DeliveryRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async recipientPages(input: { date: IsoDate; ticker?: string; pageSize: number }): Promise<RecipientPage[]> {
    const result = await sql<{ from_id: number; to_id: number; count: number }>`
      with ids as (select distinct subscriber_id from (${notifiedSignals(input.date, input.ticker)}) n),
      numbered as (select subscriber_id, (row_number() over (order by subscriber_id) - 1) / ${input.pageSize} as page from ids)
      select min(subscriber_id)::int8 as from_id, max(subscriber_id)::int8 as to_id, count(*)::int as count
      from numbered group by page order by page`.execute(this.db);
    return result.rows.map((r) => ({ fromId: Number(r.from_id), toId: Number(r.to_id), count: r.count }));
  }

  async recipients(input: { date: IsoDate; ticker?: string; page: RecipientPage }): Promise<DigestRecipient[]> {
    const result = await sql<{
      subscriber_id: number; email: string; date: string; ticker: string; strategy: string; strategy_version: number;
      signal: SignalRecord['signal']; close: number; inputs: SignalRecord['inputs'];
    }>`
      select * from (${notifiedSignals(input.date, input.ticker)}) n
      where subscriber_id between ${input.page.fromId} and ${input.page.toId}
      order by subscriber_id, ticker, strategy`.execute(this.db);
    const bySubscriber = new Map<number, DigestRecipient>();
    for (const r of result.rows) {
      const id = Number(r.subscriber_id);
      let recipient = bySubscriber.get(id);
      if (!recipient) bySubscriber.set(id, (recipient = { subscriberId: id, email: r.email, signals: [] }));
      recipient.signals.push({
        date: r.date, ticker: r.ticker, strategy: r.strategy, strategyVersion: r.strategy_version, signal: r.signal, close: r.close, inputs: r.inputs,
      });
    }
    return [...bySubscriber.values()];
  }

  async claim(input: { kind: string; date: IsoDate; subscriberId: number; messageId: string }): Promise<ClaimStatus> {
    const inserted = await this.db
      .insertInto('deliveries')
      .values({ kind: input.kind, run_date: input.date, subscriber_id: input.subscriberId, message_id: input.messageId, status: 'claimed', attempts: 1 })
      .onConflict((oc) => oc.columns(['kind', 'run_date', 'subscriber_id']).doNothing())
      .returning('status')
      .executeTakeFirst();
    if (inserted) return 'new';
    // Claimed before: count the attempt and report where it stands.
    const existing = await this.db
      .updateTable('deliveries')
      .set({ attempts: sql`attempts + 1` })
      .where('kind', '=', input.kind)
      .where('run_date', '=', input.date)
      .where('subscriber_id', '=', input.subscriberId)
      .returning('status')
      .executeTakeFirstOrThrow();
    return existing.status;
  }

  async markSent(input: { kind: string; date: IsoDate; subscriberId: number }): Promise<void> {
    await this.db
      .updateTable('deliveries')
      .set({ status: 'sent', sent_at: sql`now()`, error: null })
      .where('kind', '=', input.kind)
      .where('run_date', '=', input.date)
      .where('subscriber_id', '=', input.subscriberId)
      .execute();
  }

  async markFailed(input: { kind: string; date: IsoDate; subscriberId: number; error: string }): Promise<void> {
    await this.db
      .updateTable('deliveries')
      .set({ status: 'failed', error: input.error })
      .where('kind', '=', input.kind)
      .where('run_date', '=', input.date)
      .where('subscriber_id', '=', input.subscriberId)
      .execute();
  }
}
