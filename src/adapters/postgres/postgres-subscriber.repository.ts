import { sql, type Kysely } from 'kysely';
import type { IsoDate } from '../../domain/dates';
import type {
  SubscribeOutcome,
  Subscriber,
  SubscriberListing,
  SubscriberRepository,
  SubscriberStatus,
  SubscriberWithSubscriptions,
  Subscription,
  TickerSummary,
  TickerAdmission,
  TickerStanding,
  TrackedTickerSource,
} from '../../domain/subscriptions';
import { admitTickers, droppedTickerDeliveryKind, DROPPED_TICKER_KIND_PREFIX } from '../../domain/subscriptions';
import { deliveryMessageId } from '../../domain/notifications/delivery';
import type { Database } from './database';

type Db = Kysely<Database>;

const toSubscriber = (r: { id: number | string; email: string; status: SubscriberStatus }): Subscriber => ({
  id: Number(r.id),
  email: r.email,
  status: r.status,
});

/** The subscriptions of `subscriberId`, by ticker and strategy. */
export async function subscriptionsOf(db: Db, subscriberId: number): Promise<Subscription[]> {
  return db
    .selectFrom('subscriptions')
    .select(['ticker', 'strategy'])
    .where('subscriber_id', '=', subscriberId)
    .orderBy('ticker')
    .orderBy('strategy')
    .execute();
}

/** Where `tickers` stand among the tracked and pending tickers ({@link TickerStanding}). */
async function tickerStanding(
  db: Db,
  tickers: readonly string[],
  configured: readonly string[],
): Promise<TickerStanding> {
  const result = await sql<{ ticker: string | null; stored: boolean; total: number }>`
    with known as (
      select unnest(${[...configured]}::text[]) as ticker
      union select ticker from tracked_tickers
      union select ticker from pending_tickers
      union select sub.ticker from subscriptions sub
            join subscribers s on s.id = sub.subscriber_id where s.status = 'confirmed'),
    asked as (select distinct unnest(${[...tickers]}::text[]) as ticker)
    select a.ticker, t.last_date is not null as stored, (select count(*) from known)::int as total
    from (select 1) one
    left join asked a on a.ticker not in (select ticker from known)
    left join tickers t on t.symbol = a.ticker
    order by a.ticker`.execute(db);
  const untracked = result.rows.filter((r) => r.ticker !== null);
  return {
    untracked: untracked.map((r) => r.ticker!),
    unverified: untracked.filter((r) => !r.stored).map((r) => r.ticker!),
    total: result.rows[0]?.total ?? 0,
  };
}

/**
 * {@link admitTickers} inside the transaction `trx` that writes, whose
 * caller holds the subscriber's row (FOR UPDATE: the per-subscriber cap).
 * Adding tickers takes a transaction-level advisory lock first, so writes
 * that could grow the total take turns and each counts what the one before
 * committed (READ COMMITTED: each statement sees the commits before it).
 * Holds the unverified symbols pending in the same transaction; a refusal
 * ({@link BadInputError}) rolls the whole write back.
 */
export async function admitInTransaction(
  trx: Db,
  current: readonly Subscription[],
  next: readonly Subscription[],
  admission: TickerAdmission,
): Promise<void> {
  const unverified = await admitTickers(current, next, admission, async (newTickers) => {
    await sql`select pg_advisory_xact_lock(hashtext('tracked tickers cap'))`.execute(trx);
    return tickerStanding(trx, newTickers, admission.configured);
  });
  if (unverified.length === 0) return;
  await trx
    .insertInto('pending_tickers')
    .values(unverified.map((ticker) => ({ ticker })))
    .onConflict((oc) => oc.column('ticker').doNothing())
    .execute();
}

/** Subscribers, subscriptions and tracked tickers in Postgres (the system of record). */
export class PostgresSubscriberRepository implements SubscriberRepository {
  constructor(private readonly db: Db) {}

  async subscribe(input: {
    email: string;
    subscriptions: readonly Subscription[];
    confirmed: boolean;
  }): Promise<SubscribeOutcome> {
    const { email, subscriptions, confirmed } = input;
    return this.db.transaction().execute(async (trx) => {
      // One statement decides the status: a confirmed subscriber stays confirmed, the admin path confirms, anything else is pending.
      const row = await trx
        .insertInto('subscribers')
        .values({
          email,
          status: confirmed ? 'confirmed' : 'pending',
          confirmed_at: confirmed ? sql<Date>`now()` : null,
        })
        .onConflict((oc) =>
          oc.column('email').doUpdateSet({
            status: sql`case when subscribers.status = 'confirmed' or ${confirmed} then 'confirmed' else 'pending' end`,
            confirmed_at: sql`case when subscribers.status = 'confirmed' then subscribers.confirmed_at when ${confirmed} then now() else null end`,
            unsubscribed_at: null,
          }),
        )
        .returning(['id', 'email', 'status', sql<boolean>`xmax = 0`.as('created')])
        .executeTakeFirstOrThrow();
      const subscriberId = Number(row.id);
      let added: Subscription[] = [];
      if (subscriptions.length > 0) {
        added = await trx
          .insertInto('subscriptions')
          .values(subscriptions.map((s) => ({ subscriber_id: subscriberId, ticker: s.ticker, strategy: s.strategy })))
          .onConflict((oc) => oc.columns(['subscriber_id', 'ticker', 'strategy']).doNothing())
          .returning(['ticker', 'strategy'])
          .execute();
      }
      const subscriber: SubscriberWithSubscriptions = {
        ...toSubscriber(row),
        subscriptions: await subscriptionsOf(trx, subscriberId),
      };
      return { subscriber, created: row.created, added };
    });
  }

  async confirm(subscriberId: number): Promise<Subscriber | null> {
    const updated = await this.db
      .updateTable('subscribers')
      .set({ status: 'confirmed', confirmed_at: sql`coalesce(confirmed_at, now())` })
      .where('id', '=', subscriberId)
      .where('status', 'in', ['pending', 'confirmed'])
      .returning(['id', 'email', 'status'])
      .executeTakeFirst();
    return updated ? toSubscriber(updated) : null;
  }

  async unsubscribe(
    email: string,
    tickers?: readonly string[],
  ): Promise<{ subscriber: Subscriber; removed: number } | null> {
    return this.db.transaction().execute(async (trx) => {
      // Lock the row so that a concurrent subscribe cannot interleave with the "none left?" check.
      const found = await trx
        .selectFrom('subscribers')
        .select(['id', 'email', 'status'])
        .where('email', '=', email)
        .forUpdate()
        .executeTakeFirst();
      if (!found) return null;
      const id = Number(found.id);
      let del = trx.deleteFrom('subscriptions').where('subscriber_id', '=', id);
      if (tickers?.length) del = del.where('ticker', 'in', [...tickers]);
      const result = await del.executeTakeFirst();
      const left = await trx
        .selectFrom('subscriptions')
        .select(sql<number>`count(*)::int`.as('n'))
        .where('subscriber_id', '=', id)
        .executeTakeFirstOrThrow();
      let status = found.status;
      if (left.n === 0 && status !== 'unsubscribed') {
        await trx
          .updateTable('subscribers')
          .set({ status: 'unsubscribed', unsubscribed_at: sql`now()` })
          .where('id', '=', id)
          .execute();
        status = 'unsubscribed';
      }
      return { subscriber: toSubscriber({ ...found, status }), removed: Number(result.numDeletedRows) };
    });
  }

  async findByEmail(email: string): Promise<SubscriberWithSubscriptions | null> {
    const row = await this.db
      .selectFrom('subscribers')
      .select(['id', 'email', 'status'])
      .where('email', '=', email)
      .executeTakeFirst();
    return row ? { ...toSubscriber(row), subscriptions: await subscriptionsOf(this.db, Number(row.id)) } : null;
  }

  async findById(id: number): Promise<SubscriberWithSubscriptions | null> {
    const row = await this.db
      .selectFrom('subscribers')
      .select(['id', 'email', 'status'])
      .where('id', '=', id)
      .executeTakeFirst();
    return row ? { ...toSubscriber(row), subscriptions: await subscriptionsOf(this.db, Number(row.id)) } : null;
  }

  /** With `ticker`, only the subscribers of it and only their subscriptions to it. */
  async list(filter: { ticker?: string } = {}): Promise<SubscriberListing[]> {
    let q = this.db
      .selectFrom('subscribers as s')
      .leftJoin('subscriptions as sub', 'sub.subscriber_id', 's.id')
      .select(['s.email', 's.status', 'sub.ticker', 'sub.strategy']);
    if (filter.ticker) q = q.where('sub.ticker', '=', filter.ticker);
    const rows = await q.orderBy('s.email').orderBy('sub.ticker').orderBy('sub.strategy').execute();
    const byEmail = new Map<string, SubscriberListing>();
    for (const r of rows) {
      let listing = byEmail.get(r.email);
      if (!listing) byEmail.set(r.email, (listing = { email: r.email, status: r.status, subscriptions: [] }));
      if (r.ticker !== null && r.strategy !== null)
        listing.subscriptions.push({ ticker: r.ticker, strategy: r.strategy });
    }
    return [...byEmail.values()];
  }

  async subscribedTickers(): Promise<string[]> {
    const rows = await this.db
      .selectFrom('subscriptions as sub')
      .innerJoin('subscribers as s', 's.id', 'sub.subscriber_id')
      .where('s.status', '=', 'confirmed')
      .select('sub.ticker')
      .distinct()
      .orderBy('sub.ticker')
      .execute();
    return rows.map((r) => r.ticker);
  }

  async trackTicker(ticker: string, source: TrackedTickerSource = 'api'): Promise<boolean> {
    const inserted = await this.db
      .insertInto('tracked_tickers')
      .values({ ticker, source })
      .onConflict((oc) => oc.column('ticker').doNothing())
      .returning('ticker')
      .executeTakeFirst();
    return inserted !== undefined;
  }

  async untrackTicker(ticker: string): Promise<boolean> {
    const deleted = await this.db
      .deleteFrom('tracked_tickers')
      .where('ticker', '=', ticker)
      .returning('ticker')
      .executeTakeFirst();
    return deleted !== undefined;
  }

  async trackedTickers(configured: readonly string[]): Promise<TickerSummary[]> {
    const result = await sql<{
      ticker: string;
      configured: boolean;
      subscribers: number;
      pending: number;
      last_date: string | null;
    }>`
      with counts as (
        select sub.ticker,
               count(distinct s.id) filter (where s.status = 'confirmed')::int as subscribers,
               count(distinct s.id) filter (where s.status = 'pending')::int as pending
        from subscriptions sub join subscribers s on s.id = sub.subscriber_id
        group by sub.ticker),
      tracked as (
        select unnest(${[...configured]}::text[]) as ticker
        union select ticker from tracked_tickers
        union (select ticker from counts where subscribers > 0 except select ticker from pending_tickers))
      select tr.ticker, tr.ticker = any(${[...configured]}::text[]) as configured,
             coalesce(c.subscribers, 0) as subscribers, coalesce(c.pending, 0) as pending, t.last_date
      from tracked tr
      left join counts c on c.ticker = tr.ticker
      left join tickers t on t.symbol = tr.ticker
      order by tr.ticker`.execute(this.db);
    return result.rows.map((r) => ({
      ticker: r.ticker,
      configured: r.configured,
      subscribers: r.subscribers,
      pendingSubscribers: r.pending,
      lastDate: r.last_date,
    }));
  }

  async pendingTickers(limit: number): Promise<string[]> {
    const rows = await this.db
      .selectFrom('pending_tickers')
      .select('ticker')
      .orderBy('requested_at')
      .orderBy('ticker')
      .limit(limit)
      .execute();
    return rows.map((r) => r.ticker);
  }

  async resolvePendingTicker(ticker: string, exists: boolean, date: IsoDate): Promise<Subscriber[]> {
    return this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('pending_tickers').where('ticker', '=', ticker).execute();
      if (exists) return [];
      const lost = await trx
        .deleteFrom('subscriptions')
        .where('ticker', '=', ticker)
        .returning('subscriber_id')
        .execute();
      const ids = [...new Set(lost.map((r) => r.subscriber_id))];
      if (ids.length === 0) return [];
      const subscribers = (
        await trx
          .selectFrom('subscribers')
          .select(['id', 'email', 'status'])
          .where('id', 'in', ids)
          .where('status', '=', 'confirmed')
          .orderBy('id')
          .execute()
      ).map(toSubscriber);
      // The email telling them is claimed with the removal: sent (and resent while the server is down) from these rows.
      const kind = droppedTickerDeliveryKind(ticker);
      if (subscribers.length > 0)
        await trx
          .insertInto('deliveries')
          .values(
            subscribers.map((s) => ({
              kind,
              run_date: date,
              subscriber_id: s.id,
              message_id: deliveryMessageId(kind, date, s.id),
              status: 'claimed' as const,
              attempts: 0,
            })),
          )
          .onConflict((oc) => oc.columns(['kind', 'run_date', 'subscriber_id', 'seq']).doNothing())
          .execute();
      return subscribers;
    });
  }

  async unsentDroppedTickerNotices(): Promise<Array<{ ticker: string; date: IsoDate; subscriber: Subscriber }>> {
    const rows = await this.db
      .selectFrom('deliveries as d')
      .innerJoin('subscribers as s', 's.id', 'd.subscriber_id')
      .select(['d.kind', 'd.run_date', 's.id', 's.email', 's.status'])
      .where('d.status', '=', 'claimed')
      .where('d.kind', 'like', `${DROPPED_TICKER_KIND_PREFIX}%`)
      // Who has unsubscribed since asked for no more email.
      .where('s.status', '=', 'confirmed')
      .orderBy('d.run_date')
      .orderBy('d.kind')
      .orderBy('s.id')
      .execute();
    return rows.map((r) => ({
      ticker: r.kind.slice(DROPPED_TICKER_KIND_PREFIX.length),
      date: r.run_date as IsoDate,
      subscriber: toSubscriber(r),
    }));
  }

  async latestSignalDate(ticker: string): Promise<IsoDate | null> {
    const row = await this.db
      .selectFrom('signals')
      .select(sql<string | null>`max(date)`.as('date'))
      .where('ticker', '=', ticker)
      .executeTakeFirst();
    return row?.date ?? null;
  }
}
