import { sql, type Kysely, type Transaction } from 'kysely';
import type { IsoDate } from '../../domain/dates';
import type {
  ClaimStatus,
  DeliveryClaim,
  DeliveryRepository,
  DigestRecipient,
  PlannedDigest,
  RecipientPage,
  SignalRecord,
  SignalSelection,
} from '../../domain/ports';
import { RECOMMENDED_LABEL_PREFIX, RECOMMENDED_STRATEGY } from '../../domain/subscriptions';
import type { Database } from './database';

/**
 * Confirmed subscribers' selected BUY/SELL signals, by their subscriptions;
 * a `recommended` subscription matches the signals of the ticker's current
 * recommended strategy, recorded under its label (`recommended:sma_cross`).
 */
function notifiedSignals(selection: SignalSelection, page?: RecipientPage) {
  const selected =
    'runDate' in selection
      ? sql`g.run_date = ${selection.runDate}`
      : sql`g.date = ${selection.date} and g.ticker = ${selection.ticker}`;
  // A page's subscribers only: their subscriptions by subscriber id, not every subscription of the signals' tickers.
  const ofPage = page ? sql` and sub.subscriber_id between ${page.fromId} and ${page.toId}` : sql``;
  return sql`
    select distinct s.id as subscriber_id, s.email, g.date, g.ticker, g.strategy, g.strategy_version, g.signal, g.close, g.inputs
    from subscribers s
    join subscriptions sub on sub.subscriber_id = s.id
    left join recommendations r on sub.strategy = ${RECOMMENDED_STRATEGY} and r.ticker = sub.ticker and r.current
    join signals g on g.ticker = sub.ticker
      and g.strategy = case when sub.strategy = ${RECOMMENDED_STRATEGY} then ${RECOMMENDED_LABEL_PREFIX} || r.strategy else sub.strategy end
    where s.status = 'confirmed' and g.signal in ('BUY', 'SELL') and ${selected}${ofPage}`;
}

interface SignalRow {
  subscriber_id: number;
  email: string;
  date: string;
  ticker: string;
  strategy: string;
  strategy_version: number;
  signal: SignalRecord['signal'];
  close: number;
  inputs: SignalRecord['inputs'];
}

const toSignalRecord = (r: SignalRow): SignalRecord => ({
  date: r.date,
  ticker: r.ticker,
  strategy: r.strategy,
  strategyVersion: r.strategy_version,
  signal: r.signal,
  close: r.close,
  inputs: r.inputs,
});

const signalKey = (subscriberId: number, g: { date: string; ticker: string; strategy: string }) =>
  `${subscriberId}|${g.date}|${g.ticker}|${g.strategy}`;

/** The recipients of one page with their selected BUY and SELL signals. */
async function recipientsOf(
  db: Kysely<Database> | Transaction<Database>,
  signals: SignalSelection,
  page: RecipientPage,
): Promise<DigestRecipient[]> {
  const result = await sql<SignalRow>`
    select * from (${notifiedSignals(signals, page)}) n
    order by subscriber_id, date, ticker, strategy`.execute(db);
  const bySubscriber = new Map<number, DigestRecipient>();
  for (const r of result.rows) {
    const id = Number(r.subscriber_id);
    let recipient = bySubscriber.get(id);
    if (!recipient) bySubscriber.set(id, (recipient = { subscriberId: id, email: r.email, signals: [] }));
    recipient.signals.push(toSignalRecord(r));
  }
  return [...bySubscriber.values()];
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
    return recipientsOf(this.db, input.signals, input.page);
  }

  async planDigests(input: {
    kind: string;
    date: IsoDate;
    signals: SignalSelection;
    page: RecipientPage;
    messageId(subscriberId: number, seq: number): string;
  }): Promise<{ digests: PlannedDigest[]; delivered: number[] }> {
    const { kind, date, page } = input;
    return this.db.transaction().execute(async (trx) => {
      // Two attempts of one page, or two fan-outs (the daily digest and a manual
      // send) reaching one subscriber, plan in turn: a signal goes in one digest.
      await sql`select id from subscribers where id between ${page.fromId} and ${page.toId} order by id for update`.execute(
        trx,
      );
      const candidates = await recipientsOf(trx, input.signals, page);

      // Digests claimed by an attempt that died before sending them: resent as they were.
      const open = await sql<SignalRow & { seq: number }>`
        select d.subscriber_id, d.seq, s.email, g.date, g.ticker, g.strategy, g.strategy_version, g.signal, g.close, g.inputs
        from deliveries d
        join subscribers s on s.id = d.subscriber_id and s.status = 'confirmed'
        join delivered_signals ds on ds.kind = d.kind and ds.run_date = d.run_date and ds.subscriber_id = d.subscriber_id and ds.seq = d.seq
        join signals g on g.date = ds.date and g.ticker = ds.ticker and g.strategy = ds.strategy
        where d.kind = ${kind} and d.run_date = ${date}::date and d.status = 'claimed'
          and d.subscriber_id between ${page.fromId} and ${page.toId}
        order by d.subscriber_id, d.seq, g.date, g.ticker, g.strategy`.execute(trx);
      const digests = new Map<number, PlannedDigest>();
      for (const row of open.rows) {
        const id = Number(row.subscriber_id);
        const digest = digests.get(id) ?? { subscriberId: id, email: row.email, seq: row.seq, signals: [] };
        // One open digest per subscriber and call; a second (if ever) waits for the next attempt.
        if (digest.seq !== row.seq) continue;
        digest.signals.push(toSignalRecord(row));
        digests.set(id, digest);
      }

      // Every selected signal some delivery (of any kind) already carried to that subscriber.
      const waiting = candidates.filter((c) => !digests.has(c.subscriberId));
      const dates = [...new Set(waiting.flatMap((c) => c.signals.map((g) => g.date)))];
      const carried = new Set<string>();
      const lastSeq = new Map<number, number>();
      if (waiting.length > 0) {
        const ids = waiting.map((c) => c.subscriberId);
        const rows = await trx
          .selectFrom('delivered_signals')
          .select(['subscriber_id', 'date', 'ticker', 'strategy'])
          .where('subscriber_id', '=', sql<number>`any(${ids}::int8[])`)
          .where('date', '=', sql<string>`any(${dates}::date[])`)
          .execute();
        for (const r of rows) carried.add(signalKey(Number(r.subscriber_id), r));
        const seqs = await trx
          .selectFrom('deliveries')
          .select(['subscriber_id', (eb) => eb.fn.max('seq').as('seq')])
          .where('kind', '=', kind)
          .where('run_date', '=', date)
          .where('subscriber_id', '=', sql<number>`any(${ids}::int8[])`)
          .groupBy('subscriber_id')
          .execute();
        for (const r of seqs) lastSeq.set(Number(r.subscriber_id), Number(r.seq));
      }

      const delivered: number[] = [];
      const fresh: PlannedDigest[] = [];
      for (const candidate of waiting) {
        const signals = candidate.signals.filter((g) => !carried.has(signalKey(candidate.subscriberId, g)));
        if (signals.length === 0) delivered.push(candidate.subscriberId);
        else {
          const seq = (lastSeq.get(candidate.subscriberId) ?? 0) + 1;
          fresh.push({
            ...candidate,
            seq,
            signals,
            claimedNow: { messageId: input.messageId(candidate.subscriberId, seq) },
          });
        }
      }
      if (fresh.length > 0) {
        // Claimed here, by this attempt (attempt 1): sent without a second claim, one row update (the mark) less.
        await trx
          .insertInto('deliveries')
          .values(
            fresh.map((d) => ({
              kind,
              run_date: date,
              subscriber_id: d.subscriberId,
              seq: d.seq,
              message_id: d.claimedNow!.messageId,
              status: 'claimed' as const,
              attempts: 1,
            })),
          )
          .execute();
        await trx
          .insertInto('delivered_signals')
          .values(
            fresh.flatMap((d) =>
              d.signals.map((g) => ({
                subscriber_id: d.subscriberId,
                date: g.date,
                ticker: g.ticker,
                strategy: g.strategy,
                kind,
                run_date: date,
                seq: d.seq,
              })),
            ),
          )
          .execute();
      }
      for (const d of fresh) digests.set(d.subscriberId, d);
      return { digests: [...digests.values()].sort((a, b) => a.subscriberId - b.subscriberId), delivered };
    });
  }

  async claim(input: {
    kind: string;
    date: IsoDate;
    deliveries: readonly { subscriberId: number; seq?: number; messageId: string }[];
  }): Promise<Map<number, DeliveryClaim>> {
    const claims = new Map<number, DeliveryClaim>();
    // Ascending ids: two attempts claiming the same page lock rows in the same order.
    let pending = [...input.deliveries].sort((a, b) => a.subscriberId - b.subscriberId);
    for (let round = 0; pending.length > 0; round++) {
      if (round === 3)
        throw new Error(
          `could not claim ${pending.length} deliveries of ${input.kind} ${input.date}: they keep changing under this claim`,
        );
      // One statement: insert the new claims, count an attempt on the existing ones.
      // Both parts see the statement's snapshot, so a row another attempt
      // committed meanwhile is in neither: those are claimed again, below.
      const result = await sql<{ subscriber_id: number; status: ClaimStatus; message_id: string }>`
        with wanted as (
          select * from unnest(${pending.map((d) => d.subscriberId)}::int8[], ${pending.map((d) => d.seq ?? 1)}::int4[], ${pending.map((d) => d.messageId)}::text[]) as w(subscriber_id, seq, message_id)
        ),
        inserted as (
          insert into deliveries (kind, run_date, subscriber_id, seq, message_id, status, attempts)
          select ${input.kind}, ${input.date}::date, subscriber_id, seq, message_id, 'claimed', 1 from wanted
          on conflict (kind, run_date, subscriber_id, seq) do nothing
          returning subscriber_id, message_id
        ),
        retried as (
          update deliveries d set attempts = d.attempts + 1
          from wanted w
          where d.kind = ${input.kind} and d.run_date = ${input.date}::date and d.subscriber_id = w.subscriber_id and d.seq = w.seq
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

  async markSent(input: { messageIds: readonly string[]; sentBy?: string }): Promise<void> {
    if (input.messageIds.length === 0) return;
    await this.db
      .updateTable('deliveries')
      .set({ status: 'sent', sent_at: sql`now()`, error: null, sent_by: input.sentBy ?? null })
      .where('message_id', '=', sql<string>`any(${[...input.messageIds]}::text[])`)
      .execute();
  }

  async sentBy(input: {
    kind: string;
    date: IsoDate;
    subscriberIds: readonly number[];
    sentBy: string;
  }): Promise<number[]> {
    if (input.subscriberIds.length === 0) return [];
    const rows = await this.db
      .selectFrom('deliveries')
      .select('subscriber_id')
      .distinct()
      .where('kind', '=', input.kind)
      .where('run_date', '=', input.date)
      .where('status', '=', 'sent')
      .where('sent_by', '=', input.sentBy)
      .where('subscriber_id', '=', sql<number>`any(${[...input.subscriberIds]}::int8[])`)
      .execute();
    return rows.map((r) => Number(r.subscriber_id));
  }

  async markFailed(input: { messageId: string; error: string }): Promise<void> {
    await this.db
      .updateTable('deliveries')
      .set({ status: 'failed', error: input.error })
      .where('message_id', '=', input.messageId)
      .execute();
  }
}
