import { sql, type KyselyPlugin } from 'kysely';
import { MockActivityEnvironment } from '@temporalio/testing';
import { PostgresDeliveryRepository } from '../../src/adapters/postgres/postgres-delivery.repository';
import { PostgresSignalRepository } from '../../src/adapters/postgres/postgres-signal.repository';
import { createNotificationActivities, type NotificationTarget } from '../../src/activities/notifications.activities';
import type { Mailer } from '../../src/domain/mailer';
import type { RecipientPage, SignalRecord } from '../../src/domain/ports';
import { createTestDatabase, type TestDatabase } from '../support/database';

// What travels through Temporal for a fan-out must not grow with the subscribers' data:
// planning passes id ranges (a few numbers per page of subscribers), never lists of them.
const DATE = '2018-02-07';
const PAGE_SIZE = 200; // mail.batchSize's default
const TEMPORAL_PAYLOAD_LIMIT = 2 * 1024 * 1024;
/** Temporal's default payload converter writes JSON: its size is what a payload weighs. */
const bytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value));

describe('the email fan-out’s activity payloads and statements as subscribers grow', () => {
  let database: TestDatabase;
  const target: NotificationTarget = { kind: 'daily', date: DATE };
  const neverSends: Mailer = {
    send: () => Promise.reject(new Error('planning only: nothing is sent')),
    verify: () => Promise.resolve(),
  } as unknown as Mailer;

  beforeAll(async () => {
    database = await createTestDatabase();
    // BUY or SELL signals of the run on 50 tickers.
    const signals: SignalRecord[] = Array.from({ length: 50 }, (_, i) => ({
      date: DATE,
      ticker: `T${i}`,
      strategy: 'sma_cross',
      strategyVersion: 1,
      signal: i % 2 ? 'BUY' : 'SELL',
      close: 100 + i,
      inputs: { close: 100 + i },
    }));
    await new PostgresSignalRepository(database.db).record(signals, DATE);
  });
  afterAll(() => database.destroy());
  beforeEach(async () => {
    await sql`truncate subscribers, deliveries, delivered_signals restart identity cascade`.execute(database.db);
  });

  /** Confirmed subscribers up to `total`, each following one ticker with a signal and one without. */
  async function subscribersUpTo(total: number): Promise<void> {
    await sql`
      with added as (
        insert into subscribers (email, status, confirmed_at)
        select 'fan-' || n || '@example.com', 'confirmed', now()
        from generate_series((select count(*) from subscribers) + 1, ${total}::int8) n
        returning id)
      insert into subscriptions (subscriber_id, ticker, strategy)
      select id, t, 'sma_cross' from added, lateral (values ('T' || (id % 50)), ('QUIET' || (id % 7))) v(t)`.execute(
      database.db,
    );
  }

  async function plan() {
    const activities = createNotificationActivities({
      deliveries: new PostgresDeliveryRepository(database.db),
      mailer: neverSends,
      links: { unsubscribe: () => ({ url: '', headers: {} }), manage: () => '' },
      sendConcurrency: 1,
    });
    const input = { ...target, pageSize: PAGE_SIZE };
    const pages: RecipientPage[] = await new MockActivityEnvironment().run(() => activities.planNotifications(input));
    return { input, pages };
  }

  /** The statements `work` sends through the database, counted by a Kysely plugin (transactions included). */
  async function statements(work: (repo: PostgresDeliveryRepository) => Promise<unknown>): Promise<number> {
    let count = 0;
    const counting: KyselyPlugin = {
      transformQuery: ({ node }) => {
        count += 1;
        return node;
      },
      transformResult: ({ result }) => Promise.resolve(result),
    };
    await work(new PostgresDeliveryRepository(database.db.withPlugin(counting)));
    return count;
  }

  it('planning and each page’s digests take the same number of statements at 10,000 and 100,000 subscribers: nothing runs per subscriber', async () => {
    const signals = { runDate: DATE };
    const messageId = (subscriberId: number, seq: number) => `<${subscriberId}.${seq}@test>`;
    const measure = async () => {
      let pages: RecipientPage[] = [];
      const planning = await statements(async (repo) => {
        pages = await repo.recipientPages({ signals, pageSize: PAGE_SIZE });
      });
      // The newest page: subscribers no fan-out has planned yet.
      const page = pages[pages.length - 1];
      let planned = 0;
      const digests = await statements(async (repo) => {
        const { digests: d } = await repo.planDigests({ kind: 'daily', date: DATE, signals, page, messageId });
        planned = d.length;
      });
      // The same page again (an attempt after a crash): its open claims come back, as planned.
      const again = await statements((repo) =>
        repo.planDigests({ kind: 'daily', date: DATE, signals, page, messageId }),
      );
      return { pages: pages.length, planning, digests, again, planned };
    };
    await subscribersUpTo(10_000);
    const small = await measure();
    await subscribersUpTo(100_000);
    const large = await measure();

    // Not vacuous: ten times the pages, a full page planned each time.
    expect(small.pages).toBe(10_000 / PAGE_SIZE);
    expect(large.pages).toBe(100_000 / PAGE_SIZE);
    expect(small.planned).toBe(PAGE_SIZE);
    expect(large.planned).toBe(PAGE_SIZE);
    // One statement plans every page; a page's digests take a handful, whatever the size.
    expect(small.planning).toBe(1);
    expect(large.planning).toBe(1);
    expect(small.digests).toBeLessThanOrEqual(10);
    expect(large).toMatchObject({ digests: small.digests, again: small.again });
  });

  it('planning passes id ranges: linear in pages, far below 2 MB at 100,000 subscribers; each page’s input is constant', async () => {
    await subscribersUpTo(10_000);
    const small = await plan();
    await subscribersUpTo(100_000);
    const large = await plan();

    // Not vacuous: every subscriber is in exactly one page.
    expect(small.pages.reduce((sum, p) => sum + p.count, 0)).toBe(10_000);
    expect(large.pages.reduce((sum, p) => sum + p.count, 0)).toBe(100_000);
    expect(large.pages).toHaveLength(100_000 / PAGE_SIZE);

    // The planning input does not grow at all; its result grows with the pages, not with subscribers' data.
    expect(bytes(large.input)).toBe(bytes(small.input));
    const perPage = bytes(large.pages) / large.pages.length;
    expect(perPage).toBeLessThan(64);
    expect(bytes(large.pages) / bytes(small.pages)).toBeLessThanOrEqual(10.5);
    // 100,000 subscribers plan in under 1/30 of the limit: 3 million would still fit.
    expect(bytes(large.pages)).toBeLessThan(TEMPORAL_PAYLOAD_LIMIT / 30);

    // Each email activity's input is one page (a range), whatever the fan-out's size.
    const pageInputs = large.pages.map((page) => bytes({ ...target, page }));
    expect(Math.max(...pageInputs)).toBeLessThan(256);
  });
});
