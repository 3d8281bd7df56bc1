import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { sql } from 'kysely';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { temporal } from '@temporalio/proto';
import { deliveryMessageId } from '../../src/domain/notifications/delivery';
import { startMailSink, type MailSink } from '../../src/mail-sink';
import type { NotificationCounts } from '../../src/activities/notifications.activities';
import type { SendNotificationsInput } from '../../src/workflows/send-notifications.workflow';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { startTestTemporal } from '../support/temporal';
import { testConfig } from '../support/worker';
import { duplicates, emptyMailbox, readMailbox, tempDir } from '../support/mail';
import { killWorkerProcess, startWorkerProcess } from '../support/daily-run';

const DATE = '2010-11-29';
const WARM_UP_DATE = '2010-11-26';
const SUBSCRIBERS = 200;
const MAX_PER_SECOND = 10;

/** `20240105T213000123Z-<hash>.eml` (the sink names files by arrival time) -> epoch ms. */
function arrivalOf(file: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\d{3})Z/.exec(path.basename(file));
  if (!m) throw new Error(`not a sink file name: ${file}`);
  return Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6], +m[7]);
}

// mail.maxPerSecond holds for the deployment, not per process: two worker
// processes share one fan-out and, together, send at the limit.
describe('mail.maxPerSecond across two worker processes', () => {
  let env: TestWorkflowEnvironment;
  let t: TestDatabase;
  let sink: MailSink;
  let mailDir: string;
  const workers: ChildProcess[] = [];

  beforeAll(async () => {
    [env, t] = await Promise.all([startTestTemporal(), createTestDatabase()]);
    mailDir = tempDir('algo-send-rate-mail-');
    sink = await startMailSink({ port: 0, dir: mailDir });
  });

  afterAll(async () => {
    for (const worker of workers) await killWorkerProcess(worker, 'SIGTERM');
    await sink?.close();
    await t?.destroy();
    await env?.teardown();
  });

  it(`spreads ${SUBSCRIBERS} emails over at least 19 s at ${MAX_PER_SECOND} a second, each sent once`, async () => {
    /** A recorded BUY of `ticker` on `date` and `count` confirmed subscribers of it: the fan-out of that date's run. */
    async function buyWithSubscribers(ticker: string, date: string, count: number) {
      await t.db
        .insertInto('signals')
        .values({
          date,
          ticker,
          strategy: 'sma_cross',
          strategy_version: 1,
          signal: 'BUY',
          close: 316.87,
          inputs: JSON.stringify({ close: 316.87 }),
          run_date: date,
        })
        .execute();
      const emails = Array.from({ length: count }, (_, i) => `${ticker}-${String(i).padStart(3, '0')}@example.com`);
      const { rows } = await sql<{ id: string; email: string }>`
        insert into subscribers (email, status, confirmed_at)
        select e, 'confirmed', now() from unnest(${emails}::text[]) e returning id, email`.execute(t.db);
      await sql`
        insert into subscriptions (subscriber_id, ticker, strategy)
        select id, ${ticker}, 'sma_cross' from unnest(${rows.map((r) => Number(r.id))}::int8[]) id`.execute(t.db);
      return rows;
    }
    const rows = await buyWithSubscribers('AAPL', DATE, SUBSCRIBERS);
    const warmUp = await buyWithSubscribers('MSFT', WARM_UP_DATE, 16);

    const config = testConfig({ databaseUrl: t.url, temporalAddress: env.address, smtpPort: sink.port });
    const workerEnv = {
      DATABASE_URL: t.url,
      TEMPORAL_ADDRESS: env.address,
      TEMPORAL_TASK_QUEUE: config.temporal.taskQueue,
      REDIS_KEY_PREFIX: config.redis.keyPrefix,
      ALGO_CSV_DIR: config.marketData.csvDir,
      SMTP_PORT: String(sink.port),
      MAIL_MAX_PER_SECOND: String(MAX_PER_SECOND),
    };
    workers.push(...(await Promise.all([startWorkerProcess(workerEnv), startWorkerProcess(workerEnv)])));

    // A warm-up fan-out (16 pages of 1, so both workers take some): each worker's
    // first sends (module loading, SMTP connections) happen before the measured one.
    const warm = await env.client.workflow.execute('sendNotificationsWorkflow', {
      taskQueue: config.temporal.taskQueue,
      workflowId: `emails-warm-up-${Date.now()}`,
      args: [{ target: { kind: 'daily', date: WARM_UP_DATE }, pageSize: 1 } satisfies SendNotificationsInput],
    });
    expect(warm).toEqual({ sent: warmUp.length, skipped: 0, failed: 0 });
    emptyMailbox(mailDir);

    // Pages of 10: 20 email activities, 8 at a time, for both workers to take.
    const input: SendNotificationsInput = { target: { kind: 'daily', date: DATE }, pageSize: 10 };
    const handle = await env.client.workflow.start('sendNotificationsWorkflow', {
      taskQueue: config.temporal.taskQueue,
      workflowId: `emails-rate-${Date.now()}`,
      args: [input],
    });
    const counts = (await handle.result()) as NotificationCounts;
    expect(counts).toEqual({ sent: SUBSCRIBERS, skipped: 0, failed: 0 });

    // Both worker processes sent (their identities differ by pid).
    const history = await handle.fetchHistory();
    const senders = new Set(
      (history.events ?? [])
        .filter((e) => e.eventType === temporal.api.enums.v1.EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED)
        .map((e) => e.activityTaskStartedEventAttributes?.identity),
    );
    expect(senders.size).toBe(2);

    // Each subscriber got exactly one message, its delivery's Message-ID.
    const mail = await readMailbox(mailDir);
    expect(mail).toHaveLength(SUBSCRIBERS);
    expect(duplicates(mail.map((m) => m.to))).toEqual({});
    const idOf = new Map(rows.map((r) => [r.email, deliveryMessageId('daily', DATE, Number(r.id))]));
    expect(mail.map((m) => m.messageId).sort()).toEqual(mail.map((m) => `<${idOf.get(m.to)}>`).sort());
    expect([...idOf.keys()].sort()).toEqual(mail.map((m) => m.to).sort());

    // 200 slots 100 ms apart: the last arrives 19.9 s after the first, and no 5 s holds more than 50 (+5 for a late event loop).
    const arrivals = mail.map((m) => arrivalOf(m.file)).sort((a, b) => a - b);
    expect(arrivals[arrivals.length - 1] - arrivals[0]).toBeGreaterThanOrEqual(19_000);
    const crowded = arrivals.filter((at, i) => i + 55 < arrivals.length && arrivals[i + 55] - at < 5_000);
    expect(crowded).toEqual([]);
  });
});
