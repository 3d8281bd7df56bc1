import { sql, type Kysely } from 'kysely';
import type { IsoDate } from '../../domain/dates';
import type {
  AppliedChange,
  PendingSubscriptionChange,
  SubscriberStatus,
  SubscriberWithSubscriptions,
  Subscription,
  SubscriptionChangeRepository,
  TickerAdmission,
} from '../../domain/subscriptions';
import type { Database } from './database';
import { admitInTransaction, subscriptionsOf } from './postgres-subscriber.repository';

type Db = Kysely<Database>;

async function withSubscriptions(
  db: Db,
  row: { id: number | string; email: string; status: SubscriberStatus },
): Promise<SubscriberWithSubscriptions> {
  const id = Number(row.id);
  return { id, email: row.email, status: row.status, subscriptions: await subscriptionsOf(db, id) };
}

/** Subscription changes pending confirmation (migration 0009), applied in one transaction each. */
export class PostgresSubscriptionChangeRepository implements SubscriptionChangeRepository {
  constructor(private readonly db: Db) {}

  async request(input: {
    email: string;
    mailbox: string;
    subscriptions: readonly Subscription[];
    date: IsoDate;
  }): Promise<{ change: PendingSubscriptionChange; requestsOnDate: number }> {
    return this.db.transaction().execute(async (trx) => {
      // An unknown address is stored pending with no subscriptions; a known one is left exactly as it is.
      await trx
        .insertInto('subscribers')
        .values({ email: input.email, status: 'pending' })
        .onConflict((oc) => oc.column('email').doNothing())
        .execute();
      // Lock the subscriber so that concurrent requests count each other.
      const subscriber = await trx
        .selectFrom('subscribers')
        .select(['id'])
        .where('email', '=', input.email)
        .forUpdate()
        .executeTakeFirstOrThrow();
      const subscriberId = Number(subscriber.id);
      const change = await trx
        .insertInto('subscription_changes')
        .values({
          subscriber_id: subscriberId,
          subscriptions: JSON.stringify(input.subscriptions),
          requested_on: input.date,
          mailbox: input.mailbox,
        })
        .returning(['id'])
        .executeTakeFirstOrThrow();
      // Per mailbox: every address that delivers to it counts together. Requests about other addresses
      // of one mailbox may race past the count by a few; the per-address lock above keeps one address exact.
      const count = await trx
        .selectFrom('subscription_changes')
        .select(sql<number>`count(*)::int`.as('n'))
        .where('mailbox', '=', input.mailbox)
        .where('requested_on', '=', input.date)
        .executeTakeFirstOrThrow();
      return {
        change: {
          id: Number(change.id),
          subscriberId,
          email: input.email,
          subscriptions: [...input.subscriptions],
          applied: false,
        },
        requestsOnDate: count.n,
      };
    });
  }

  async find(changeId: number, subscriberId: number): Promise<PendingSubscriptionChange | null> {
    const row = await this.db
      .selectFrom('subscription_changes')
      .innerJoin('subscribers', 'subscribers.id', 'subscription_changes.subscriber_id')
      .select(['subscription_changes.id', 'subscribers.email', 'subscription_changes.subscriptions', 'applied_at'])
      .where('subscription_changes.id', '=', changeId)
      .where('subscription_changes.subscriber_id', '=', subscriberId)
      .executeTakeFirst();
    if (!row) return null;
    return {
      id: Number(row.id),
      subscriberId,
      email: row.email,
      subscriptions: row.subscriptions,
      applied: row.applied_at !== null,
    };
  }

  async apply(changeId: number, subscriberId: number, admission?: TickerAdmission): Promise<AppliedChange | null> {
    return this.db.transaction().execute(async (trx) => {
      const change = await trx
        .selectFrom('subscription_changes')
        .select(['id', 'subscriptions', 'applied_at'])
        .where('id', '=', changeId)
        .where('subscriber_id', '=', subscriberId)
        .forUpdate()
        .executeTakeFirst();
      if (!change) return null;
      const current = await trx
        .selectFrom('subscribers')
        .select(['id', 'email', 'status'])
        .where('id', '=', subscriberId)
        .forUpdate()
        .executeTakeFirst();
      if (!current) return null;
      if (change.applied_at !== null)
        return { outcome: 'already_applied', subscriber: await withSubscriptions(trx, current), added: [] };
      const pairs = change.subscriptions;
      if (admission) {
        const current = await subscriptionsOf(trx, subscriberId);
        await admitInTransaction(trx, current, [...current, ...pairs], admission);
      }
      const added =
        pairs.length === 0
          ? []
          : await trx
              .insertInto('subscriptions')
              .values(pairs.map((p) => ({ subscriber_id: subscriberId, ticker: p.ticker, strategy: p.strategy })))
              .onConflict((oc) => oc.columns(['subscriber_id', 'ticker', 'strategy']).doNothing())
              .returning(['ticker', 'strategy'])
              .execute();
      const updated = await trx
        .updateTable('subscribers')
        .set({ status: 'confirmed', confirmed_at: sql`coalesce(confirmed_at, now())`, unsubscribed_at: null })
        .where('id', '=', subscriberId)
        .returning(['id', 'email', 'status'])
        .executeTakeFirstOrThrow();
      await trx
        .updateTable('subscription_changes')
        .set({ applied_at: sql`now()` })
        .where('id', '=', changeId)
        .execute();
      return { outcome: 'applied', subscriber: await withSubscriptions(trx, updated), added };
    });
  }

  async replace(
    subscriberId: number,
    subscriptions: readonly Subscription[],
    admission?: TickerAdmission,
  ): Promise<SubscriberWithSubscriptions | null> {
    return this.db.transaction().execute(async (trx) => {
      const found = await trx
        .selectFrom('subscribers')
        .select(['id', 'email', 'status'])
        .where('id', '=', subscriberId)
        .forUpdate()
        .executeTakeFirst();
      if (!found) return null;
      if (admission) await admitInTransaction(trx, await subscriptionsOf(trx, subscriberId), subscriptions, admission);
      // Neither tickers nor strategy names contain '/'.
      const keep = subscriptions.map((s) => `${s.ticker}/${s.strategy}`);
      let del = trx.deleteFrom('subscriptions').where('subscriber_id', '=', subscriberId);
      if (keep.length > 0) del = del.where(sql<string>`ticker || '/' || strategy`, 'not in', keep);
      await del.execute();
      if (subscriptions.length > 0) {
        await trx
          .insertInto('subscriptions')
          .values(subscriptions.map((s) => ({ subscriber_id: subscriberId, ticker: s.ticker, strategy: s.strategy })))
          .onConflict((oc) => oc.columns(['subscriber_id', 'ticker', 'strategy']).doNothing())
          .execute();
      }
      const status: SubscriberStatus = subscriptions.length > 0 ? 'confirmed' : 'unsubscribed';
      const updated = await trx
        .updateTable('subscribers')
        .set(
          status === 'confirmed'
            ? { status, confirmed_at: sql`coalesce(confirmed_at, now())`, unsubscribed_at: null }
            : { status, unsubscribed_at: sql`coalesce(unsubscribed_at, now())` },
        )
        .where('id', '=', subscriberId)
        .returning(['id', 'email', 'status'])
        .executeTakeFirstOrThrow();
      return withSubscriptions(trx, updated);
    });
  }
}
