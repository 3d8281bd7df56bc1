import { sql, type Kysely } from 'kysely';
import type { IsoDate } from '../../domain/dates';
import type { ClaimStatus, DeliveryClaim, DeliveryRepository, DigestRecipient, RecipientPage, SignalRecord, SignalSelection } from '../../domain/ports';
import { RECOMMENDED_LABEL_PREFIX, RECOMMENDED_STRATEGY } from '../../domain/subscriptions';
import type { Database } from './database';

/**
 * Confirmed subscribers' selected BUY/SELL signals, by their subscriptions;
 * a `recommended` subscription matches the signals of the ticker's current
 * recommended strategy, recorded under its label (`recommended:sma_cross`).
 */
function notifiedSignals(selection: SignalSelection) {
  const selected = 'runDate' in selection ? sql`g.run_date = ${selection.runDate}` : sql`g.date = ${selection.date} and g.ticker = ${selection.ticker}`;
  return sql`
    select distinct s.id as subscriber_id, s.email, g.date, g.ticker, g.strategy, g.strategy_version, g.signal, g.close, g.inputs
    from subscribers s
    join subscriptions sub on sub.subscriber_id = s.id
    left join recommendations r on sub.strategy = ${RECOMMENDED_STRATEGY} and r.ticker = sub.ticker and r.current
    join signals g on g.ticker = sub.ticker
      and g.strategy = case when sub.strategy = ${RECOMMENDED_STRATEGY} then ${RECOMMENDED_LABEL_PREFIX} || r.strategy else sub.strategy end
    where s.status = 'confirmed' and g.signal in ('BUY', 'SELL') and ${selected}`;
}

/** Delivery claims and fan-out recipients in Postgres. */
export class PostgresDeliveryRepository implements DeliveryRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async recipientPages(input: { signals: SignalSelection; pageSize: number }): Promise<RecipientPage[]> {
    const result = await sql<{ from_id: number; to_id: number; count: number }>`
      with ids as (select distinct subscriber_id from (${notifiedSignals(input.signals)}) n),
      numbered as (select subscriber_id, (row_number() over (order by subscriber_id) - 1) / ${input.pageSize} as page from ids)
      select min(subscriber_id)::int8 as from_id, max(subscriber_id)::int8 as to_id, count(*)::int as count
      from numbered group by page order by page`.execute(this.db);
    return result.rows.map((r) => ({ fromId: Number(r.from_id), toId: Number(r.to_id), count: r.count }));
  }

  async recipients(input: { signals: SignalSelection; page: RecipientPage }): Promise<DigestRecipient[]> {
    const result = await sql<{
      subscriber_id: number; email: string; date: string; ticker: string; strategy: string; strategy_version: number;
      signal: SignalRecord['signal']; close: number; inputs: SignalRecord['inputs'];
    }>`
      select * from (${notifiedSignals(input.signals)}) n
      where subscriber_id between ${input.page.fromId} and ${input.page.toId}
      order by subscriber_id, date, ticker, strategy`.execute(this.db);
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

  async claim(input: { kind: string; date: IsoDate; deliveries: readonly { subscriberId: number; messageId: string }[] }): Promise<Map<number, DeliveryClaim>> {
    const claims = new Map<number, DeliveryClaim>();
    // Ascending ids: two attempts claiming the same page lock rows in the same order.
    let pending = [...input.deliveries].sort((a, b) => a.subscriberId - b.subscriberId);
    for (let round = 0; pending.length > 0; round++) {
      if (round === 3) throw new Error(`could not claim ${pending.length} deliveries of ${input.kind} ${input.date}: they keep changing under this claim`);
      // One statement: insert the new claims, count an attempt on the existing ones.
      // Both parts see the statement's snapshot, so a row another attempt
      // committed meanwhile is in neither: those are claimed again, below.
      const result = await sql<{ subscriber_id: number; status: ClaimStatus; message_id: string }>`
        with wanted as (
          select * from unnest(${pending.map((d) => d.subscriberId)}::int8[], ${pending.map((d) => d.messageId)}::text[]) as w(subscriber_id, message_id)
        ),
        inserted as (
          insert into deliveries (kind, run_date, subscriber_id, message_id, status, attempts)
          select ${input.kind}, ${input.date}::date, subscriber_id, message_id, 'claimed', 1 from wanted
          on conflict (kind, run_date, subscriber_id) do nothing
          returning subscriber_id, message_id
        ),
        retried as (
          update deliveries d set attempts = d.attempts + 1
          from wanted w
          where d.kind = ${input.kind} and d.run_date = ${input.date}::date and d.subscriber_id = w.subscriber_id
          returning d.subscriber_id, d.status, d.message_id
        )
        select subscriber_id, 'new' as status, message_id from inserted
        union all
        select subscriber_id, status, message_id from retried`.execute(this.db);
      for (const r of result.rows) claims.set(Number(r.subscriber_id), { status: r.status, messageId: r.message_id });
      pending = pending.filter((d) => !claims.has(d.subscriberId));
    }
    return claims;
  }

  async markSent(input: { kind: string; date: IsoDate; subscriberIds: readonly number[] }): Promise<void> {
    if (input.subscriberIds.length === 0) return;
    await this.db
      .updateTable('deliveries')
      .set({ status: 'sent', sent_at: sql`now()`, error: null })
      .where('kind', '=', input.kind)
      .where('run_date', '=', input.date)
      .where('subscriber_id', '=', sql<number>`any(${[...input.subscriberIds]}::int8[])`)
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
