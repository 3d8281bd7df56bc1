import { sql } from 'kysely';
import { NodemailerMailer } from '../../src/adapters/email/nodemailer-mailer';
import { PostgresDeliveryRepository } from '../../src/adapters/postgres/postgres-delivery.repository';
import { startMailSink, type MailSink } from '../../src/mail-sink';
import type { Mailer, OutgoingEmail, SendResult } from '../../src/domain/mailer';
import { deliverExactlyOnce, deliveryMessageId, type DeliveryItem } from '../../src/domain/notifications/delivery';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { readMailbox, tempDir } from '../support/mail';

// Exactly-once delivery over the real deliveries table and a real SMTP sink.
const DATE = '2018-02-07';
let database: TestDatabase;
let deliveries: PostgresDeliveryRepository;
let sink: MailSink;
let mailDir: string;
let mailer: NodemailerMailer;

async function subscribers(count: number): Promise<number[]> {
  const emails = Array.from({ length: count }, (_, i) => `user${i + 1}@example.com`);
  const { rows } = await sql<{
    id: number;
  }>`insert into subscribers (email, status) select e, 'confirmed' from unnest(${emails}::text[]) e returning id`.execute(
    database.db,
  );
  return rows.map((r) => Number(r.id)).sort((a, b) => a - b);
}

function items(ids: readonly number[]): DeliveryItem[] {
  return ids.map((subscriberId) => ({
    subscriberId,
    compose: () => ({
      to: `s${subscriberId}@example.com`,
      subject: `digest ${subscriberId}`,
      text: 'text',
      html: '<p>html</p>',
    }),
  }));
}

async function rows() {
  return database.db
    .selectFrom('deliveries')
    .select(['subscriber_id', 'status', 'attempts', 'message_id', 'error'])
    .orderBy('subscriber_id')
    .execute();
}

beforeAll(async () => {
  database = await createTestDatabase();
  deliveries = new PostgresDeliveryRepository(database.db);
  mailDir = tempDir('algo-delivery-');
  sink = await startMailSink({ port: 0, dir: mailDir, rejectRecipients: /^refuse/ });
  mailer = new NodemailerMailer({
    host: '127.0.0.1',
    port: sink.port,
    secure: false,
    from: 'Algo <signals@localhost>',
  });
});

afterAll(async () => {
  mailer?.close();
  await sink?.close();
  await database?.destroy();
});

beforeEach(async () => {
  await database.truncateAll();
});

describe('PostgresDeliveryRepository.claim', () => {
  it('claims a page in one call: new rows, then each existing row with its stored Message-ID and one more attempt', async () => {
    const ids = await subscribers(4);
    const first = await deliveries.claim({
      kind: 'daily',
      date: DATE,
      deliveries: ids.slice(0, 2).map((id) => ({ subscriberId: id, messageId: `m${id}` })),
    });
    expect([...first.values()]).toEqual([
      { status: 'new', messageId: `m${ids[0]}` },
      { status: 'new', messageId: `m${ids[1]}` },
    ]);
    await deliveries.markSent({ messageIds: [`m${ids[0]}`] });

    // A later claim with other Message-IDs keeps the stored ones: a resend must be the same message.
    const second = await deliveries.claim({
      kind: 'daily',
      date: DATE,
      deliveries: ids.map((id) => ({ subscriberId: id, messageId: `other${id}` })),
    });
    expect(Object.fromEntries(second)).toEqual({
      [ids[0]]: { status: 'sent', messageId: `m${ids[0]}` },
      [ids[1]]: { status: 'claimed', messageId: `m${ids[1]}` },
      [ids[2]]: { status: 'new', messageId: `other${ids[2]}` },
      [ids[3]]: { status: 'new', messageId: `other${ids[3]}` },
    });
    expect((await rows()).map((r) => [r.status, r.attempts])).toEqual([
      ['sent', 2],
      ['claimed', 2],
      ['claimed', 1],
      ['claimed', 1],
    ]);
  });

  it('gives every subscriber exactly one claim when two attempts claim the same page at once', async () => {
    const ids = await subscribers(300);
    const page = (tag: string) => ids.map((id) => ({ subscriberId: id, messageId: `${tag}${id}` }));
    const [a, b] = await Promise.all([
      deliveries.claim({ kind: 'daily', date: DATE, deliveries: page('a') }),
      deliveries.claim({ kind: 'daily', date: DATE, deliveries: page('b') }),
    ]);
    expect(a.size).toBe(300);
    expect(b.size).toBe(300);
    // Each subscriber was claimed new by exactly one of the two, and both see the same Message-ID.
    for (const id of ids) {
      expect([a.get(id)!.status, b.get(id)!.status].filter((s) => s === 'new')).toHaveLength(1);
      expect(a.get(id)!.messageId).toBe(b.get(id)!.messageId);
    }
  });
});

describe('PostgresDeliveryRepository.sentBy', () => {
  it("finds the subscribers whose delivery of a date a given fan-out run marked sent, and no other run's", async () => {
    const ids = await subscribers(4);
    await deliveries.claim({
      kind: 'daily',
      date: DATE,
      deliveries: ids.map((id) => ({ subscriberId: id, messageId: `m${id}` })),
    });
    await deliveries.markSent({ messageIds: [`m${ids[0]}`, `m${ids[1]}`], sentBy: 'emails-daily/run-a' });
    await deliveries.markSent({ messageIds: [`m${ids[2]}`], sentBy: 'emails-daily/run-b' });
    const of = (sentBy: string, kind = 'daily', date = DATE) =>
      deliveries.sentBy({ kind, date, subscriberIds: ids, sentBy }).then((found) => found.sort((a, b) => a - b));
    expect(await of('emails-daily/run-a')).toEqual([ids[0], ids[1]]);
    expect(await of('emails-daily/run-b')).toEqual([ids[2]]);
    expect(await of('emails-daily/run-a', 'notification:AAPL')).toEqual([]);
    expect(await of('emails-daily/run-a', 'daily', '2018-02-08')).toEqual([]);
    expect(await deliveries.sentBy({ kind: 'daily', date: DATE, subscriberIds: [], sentBy: 'x' })).toEqual([]);
  });
});

describe('deliverExactlyOnce', () => {
  it('sends each new delivery once, marks it sent, and skips it on a second run', async () => {
    const ids = await subscribers(60);
    const marked: number[] = [];
    const outcome = await deliverExactlyOnce(
      { deliveries, mailer },
      { kind: 'daily', date: DATE, items: items(ids), concurrency: 8, onMarked: (batch) => marked.push(...batch) },
    );
    expect([...outcome.sent].sort((a, b) => a - b)).toEqual(ids);
    expect([...marked].sort((a, b) => a - b)).toEqual(ids);
    expect((await rows()).every((r) => r.status === 'sent' && r.attempts === 1)).toBe(true);
    const mail = await readMailbox(mailDir);
    expect(mail.map((m) => m.messageId).sort()).toEqual(
      ids.map((id) => `<${deliveryMessageId('daily', DATE, id)}>`).sort(),
    );

    const again = await deliverExactlyOnce(
      { deliveries, mailer },
      { kind: 'daily', date: DATE, items: items(ids), concurrency: 8 },
    );
    expect(again).toMatchObject({ sent: [], refused: [], deferred: [] });
    expect(again.alreadySent).toHaveLength(60);
    expect(await readMailbox(mailDir)).toHaveLength(60);
  });

  it('resends a delivery left claimed by a dead attempt with its stored Message-ID; records a permanent refusal once', async () => {
    const [open, refused] = await subscribers(2);
    await deliveries.claim({
      kind: 'daily',
      date: DATE,
      deliveries: [{ subscriberId: open, messageId: 'left-by-a-dead-attempt@algo-signals' }],
    });
    const before = (await readMailbox(mailDir)).length;
    const refusing: DeliveryItem = {
      subscriberId: refused,
      compose: () => ({ to: 'refuse-me@example.com', subject: 's', text: 't', html: '<p>h</p>' }),
    };
    const outcome = await deliverExactlyOnce(
      { deliveries, mailer },
      { kind: 'daily', date: DATE, items: [...items([open]), refusing], concurrency: 2 },
    );
    expect(outcome.sent).toEqual([open]);
    expect(outcome.refused).toEqual([
      { subscriberId: refused, error: expect.stringMatching(/SMTP 550 for refuse-me@example.com/) },
    ]);
    const mail = (await readMailbox(mailDir)).slice(before);
    expect(mail.map((m) => m.messageId)).toEqual(['<left-by-a-dead-attempt@algo-signals>']);
    expect(await rows()).toMatchObject([
      { subscriber_id: open, status: 'sent', attempts: 2 },
      { subscriber_id: refused, status: 'failed', attempts: 1, error: expect.stringMatching(/550/) },
    ]);

    const again = await deliverExactlyOnce(
      { deliveries, mailer },
      { kind: 'daily', date: DATE, items: [...items([open]), refusing], concurrency: 2 },
    );
    expect(again).toMatchObject({ sent: [], alreadySent: [open], refusedBefore: [refused], refused: [] });
  });

  it('leaves deliveries claimed when the server is down, and a retry sends them; a failing mark still waits for every send', async () => {
    const ids = await subscribers(5);
    const down: Mailer = { send: () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:1')) };
    const deferred = await deliverExactlyOnce(
      { deliveries, mailer: down },
      { kind: 'daily', date: DATE, items: items(ids), concurrency: 3 },
    );
    expect(deferred.deferred.map((d) => d.subscriberId).sort((a, b) => a - b)).toEqual(ids);
    expect((await rows()).every((r) => r.status === 'claimed')).toBe(true);

    // The database refuses the mark: no send starts after the first refusal, and the call fails
    // once its retries are spent, but only after every send has settled.
    let inFlight = 0;
    let maxInFlightAtFailure = -1;
    let markFailures = 0;
    let startedAfterFailure = 0;
    const slow: Mailer = {
      async send(message: OutgoingEmail): Promise<SendResult> {
        if (markFailures > 0) startedAfterFailure++;
        inFlight++;
        await new Promise((r) => setTimeout(r, 20));
        inFlight--;
        return { messageId: `<${message.messageId}>`, accepted: [message.to], rejected: [], response: '250 OK' };
      },
    };
    const failingMarks = {
      claim: deliveries.claim.bind(deliveries),
      markFailed: deliveries.markFailed.bind(deliveries),
      markSent: () => {
        markFailures++;
        return Promise.reject(new Error('connection terminated'));
      },
    };
    await expect(
      deliverExactlyOnce(
        { deliveries: failingMarks, mailer: slow },
        { kind: 'daily', date: DATE, items: items(ids), concurrency: 2, markRetryDelaysMs: [10, 10] },
      ).finally(() => {
        maxInFlightAtFailure = inFlight;
      }),
    ).rejects.toThrow('connection terminated');
    expect(maxInFlightAtFailure).toBe(0);
    expect(startedAfterFailure).toBe(0);
    // The first UPDATE and its two retries.
    expect(markFailures).toBe(3);

    const retried = await deliverExactlyOnce(
      { deliveries, mailer },
      { kind: 'daily', date: DATE, items: items(ids), concurrency: 3 },
    );
    expect(retried.sent.sort((a, b) => a - b)).toEqual(ids);
    expect((await rows()).map((r) => [r.status, r.attempts])).toEqual(ids.map(() => ['sent', 3]));
  });

  it('holds the sending while the "sent" UPDATE fails, and goes on once a retry of it succeeds', async () => {
    const ids = await subscribers(40);
    const before = (await readMailbox(mailDir)).length;
    let failuresLeft = 2;
    let failing = false;
    let sentWhileFailing = 0;
    const flakyMarks = {
      claim: deliveries.claim.bind(deliveries),
      markFailed: deliveries.markFailed.bind(deliveries),
      markSent: async (input: { messageIds: readonly string[] }) => {
        if (failuresLeft > 0) {
          failuresLeft--;
          failing = true;
          throw new Error('terminating connection due to administrator command');
        }
        failing = false;
        await deliveries.markSent(input);
      },
    };
    const counting: Mailer = {
      send(message) {
        if (failing) sentWhileFailing++;
        return mailer.send(message);
      },
    };
    const outcome = await deliverExactlyOnce(
      { deliveries: flakyMarks, mailer: counting },
      { kind: 'daily', date: DATE, items: items(ids), concurrency: 4, markRetryDelaysMs: [20, 20, 20] },
    );
    expect([...outcome.sent].sort((a, b) => a - b)).toEqual(ids);
    expect(sentWhileFailing).toBe(0);
    expect((await rows()).every((r) => r.status === 'sent' && r.attempts === 1)).toBe(true);
    expect((await readMailbox(mailDir)).slice(before)).toHaveLength(40);
  });
});
