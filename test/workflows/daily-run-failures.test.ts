import type { ChildProcess } from 'node:child_process';
import { WorkflowFailedError, WorkflowNotFoundError } from '@temporalio/client';
import { ApplicationFailure, TemporalFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { AppConfig } from '../../src/config/config';
import { PostgresSubscriberRepository } from '../../src/adapters/postgres/postgres-subscriber.repository';
import { deliveryMessageId } from '../../src/domain/notifications/delivery';
import { startMailSink, type MailSink } from '../../src/mail-sink';
import type { DailyRunInput, DailyRunResult } from '../../src/workflows/daily-run.workflow';
import { notificationsWorkflowId } from '../../src/workflows/workflow-ids';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { startTestTemporal } from '../support/temporal';
import { testConfig, withTestWorker } from '../support/worker';
import { duplicates, freePort, readMailbox, storedMessageCount, tempDir, waitFor } from '../support/mail';
import { killWorkerProcess, seedCsvDir, startWorkerProcess, workerOutput } from '../support/daily-run';

/** sma_cross says BUY for the seed AAPL data on this day (SEED.md rules; see daily-run.workflow.test.ts). */
const BUY_DAY = '2010-11-29';

describe('dailyRunWorkflow email fan-out under failures (worker crash, SMTP outage, permanent rejection, refused login)', () => {
  let env: TestWorkflowEnvironment;
  let t: TestDatabase;
  let csvDir: string;
  let subscribers: PostgresSubscriberRepository;
  let runs = 0;

  const configFor = (smtpPort: number): AppConfig =>
    testConfig({ databaseUrl: t.url, temporalAddress: env.address, csvDir, smtpPort, tickers: ['AAPL'] });

  const startDaily = (config: AppConfig, input: DailyRunInput, taskQueue = config.temporal.taskQueue) =>
    env.client.workflow.start('dailyRunWorkflow', {
      taskQueue,
      workflowId: `daily-${input.date}-${++runs}`,
      args: [input],
    });

  /** `count` confirmed subscribers of AAPL sma_cross named `<prefix>-NNN@example.com` (plus `extra` addresses), by id. */
  async function subscribeMany(prefix: string, count: number, extra: string[] = []): Promise<Map<number, string>> {
    const emails = [
      ...Array.from({ length: count }, (_, i) => `${prefix}-${String(i).padStart(3, '0')}@example.com`),
      ...extra,
    ];
    const out = new Map<number, string>();
    for (let i = 0; i < emails.length; i += 25) {
      const batch = await Promise.all(
        emails.slice(i, i + 25).map((email) =>
          subscribers.subscribe({
            email,
            subscriptions: [{ ticker: 'AAPL', strategy: 'sma_cross' }],
            confirmed: true,
          }),
        ),
      );
      for (const { subscriber } of batch) out.set(subscriber.id, subscriber.email);
    }
    return out;
  }

  /** The environment of a worker process (src/worker.ts) on its own task queue, sending to the sink on `smtpPort`. */
  const workerProcessEnv = (config: AppConfig, queueSuffix: string, smtpPort: number) => ({
    DATABASE_URL: t.url,
    TEMPORAL_ADDRESS: env.address,
    TEMPORAL_TASK_QUEUE: `${config.temporal.taskQueue}-${queueSuffix}`,
    REDIS_KEY_PREFIX: config.redis.keyPrefix,
    ALGO_CSV_DIR: csvDir,
    ALGO_TICKERS: 'AAPL',
    SMTP_PORT: String(smtpPort),
  });

  const deliveries = () => t.db.selectFrom('deliveries').selectAll().orderBy('subscriber_id').execute();

  /** The date's email fan-out: the child workflow the daily run sends from. */
  const emailsOf = (date: string) => env.client.workflow.getHandle(notificationsWorkflowId({ kind: 'daily', date }));

  /** Pending activities of the date's fan-out (none before it has started). */
  async function pendingEmailActivities(date: string) {
    try {
      const described = await emailsOf(date).describe();
      return described.status.name === 'RUNNING' ? (described.raw.pendingActivities ?? []) : [];
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return [];
      throw err;
    }
  }

  beforeAll(async () => {
    [env, t] = await Promise.all([startTestTemporal(), createTestDatabase()]);
    csvDir = seedCsvDir();
    subscribers = new PostgresSubscriberRepository(t.db);
    // Ingest the history and record the BUY day's signals once; each test then re-runs that day for its own subscribers.
    const config = configFor(await freePort());
    const first = (await withTestWorker(env, config, async () =>
      (await startDaily(config, { date: BUY_DAY })).result(),
    )) as DailyRunResult;
    expect(first.signals).toContainEqual({ date: BUY_DAY, ticker: 'AAPL', strategy: 'sma_cross', signal: 'BUY' });
    expect(first.notifications).toEqual({ sent: 0, skipped: 0, failed: 0 });
  });

  afterAll(async () => {
    await t?.destroy();
    await env?.teardown();
  });

  beforeEach(async () => {
    await t.db.deleteFrom('deliveries').execute();
    await t.db.deleteFrom('subscriptions').execute();
    await t.db.deleteFrom('subscribers').execute();
  });

  /**
   * Every subscriber in `expected` got one message, its delivery's (Message-ID
   * and content), and nobody else got any. Only recipients in `mayHaveCopy`
   * may hold a second copy of that same message (same Message-ID); everyone
   * else holds exactly one file.
   */
  async function expectOneMessageEach(
    mailDir: string,
    expected: Map<number, string>,
    mayHaveCopy: ReadonlySet<string> = new Set(),
  ) {
    const mail = await readMailbox(mailDir);
    const rows = await deliveries();
    expect([...new Set(mail.map((m) => m.to))].sort()).toEqual([...expected.values()].sort());
    expect(new Set(mail.map((m) => m.messageId)).size).toBe(expected.size);
    for (const [id, email] of expected) {
      const messageId = deliveryMessageId('daily', BUY_DAY, id);
      const copies = mail.filter((m) => m.to === email);
      expect(copies.map((m) => [m.messageId, m.subject, m.text])).toEqual(
        copies.map(() => [`<${messageId}>`, `BUY AAPL (sma_cross) on ${BUY_DAY}`, copies[0].text]),
      );
      expect(rows.find((r) => r.subscriber_id === id)).toMatchObject({ status: 'sent', message_id: messageId });
    }
    const extraCopies = Object.entries(duplicates(mail.map((m) => m.to)));
    expect(extraCopies.filter(([to, n]) => !mayHaveCopy.has(to) || n > 2)).toEqual([]);
    return { mail, extraCopies: extraCopies.length };
  }

  it('delivers exactly one email per subscriber when the worker is killed during the fan-out and restarted', async () => {
    const recipients = await subscribeMany('crash', 300);
    const mailDir = tempDir('algo-crash-mail-');
    const sink = await startMailSink({ port: 0, dir: mailDir });
    const config = configFor(sink.port);
    const workerEnv = workerProcessEnv(config, 'process', sink.port);
    let worker: ChildProcess | undefined = await startWorkerProcess(workerEnv);
    try {
      const handle = await startDaily(config, { date: BUY_DAY, emailBatchSize: 5 }, workerEnv.TEMPORAL_TASK_QUEUE);
      // Kill it (no graceful shutdown) once some emails are out and most are not.
      await waitFor('the fan-out to be under way', () => storedMessageCount(mailDir) >= 30, 60_000, 2);
      await killWorkerProcess(worker, 'SIGKILL');
      await new Promise((r) => setTimeout(r, 200)); // let the sink finish storing what it received before the kill
      const [mailAtKill, rowsAtKill] = [await readMailbox(mailDir), await deliveries()];
      expect(mailAtKill.length).toBeLessThan(recipients.size);
      expect(rowsAtKill.length).toBeLessThan(recipients.size);
      // Accepted by the SMTP server while their delivery was not yet recorded as sent: no sender can know these went
      // out, so they are sent again, with the same Message-ID (a receiver drops the second copy). Nothing else may be.
      const statusAtKill = new Map(rowsAtKill.map((r) => [recipients.get(r.subscriber_id)!, r.status]));
      const unrecorded = new Set(mailAtKill.map((m) => m.to).filter((to) => statusAtKill.get(to) === 'claimed'));

      worker = await startWorkerProcess(workerEnv);
      const result = (await handle.result()) as DailyRunResult;
      const { extraCopies } = await expectOneMessageEach(mailDir, recipients, unrecorded);
      expect(extraCopies).toBeLessThanOrEqual(unrecorded.size);
      // The dead attempt's sends are this run's (each delivery records the fan-out run that marked it sent).
      expect(result.notifications).toEqual({ sent: recipients.size, skipped: 0, failed: 0 });
    } finally {
      if (worker) await killWorkerProcess(worker, 'SIGTERM');
      await sink.close();
    }
  });

  it('lets running sends finish when the worker is stopped with SIGTERM during the fan-out: no copy at all', async () => {
    const recipients = await subscribeMany('drain', 200);
    const mailDir = tempDir('algo-drain-mail-');
    const sink = await startMailSink({ port: 0, dir: mailDir });
    const config = configFor(sink.port);
    const workerEnv = workerProcessEnv(config, 'drain', sink.port);
    let worker: ChildProcess | undefined = await startWorkerProcess(workerEnv);
    try {
      const handle = await startDaily(config, { date: BUY_DAY, emailBatchSize: 5 }, workerEnv.TEMPORAL_TASK_QUEUE);
      await waitFor('the fan-out to be under way', () => storedMessageCount(mailDir) >= 20, 60_000, 2);
      await killWorkerProcess(worker, 'SIGTERM');
      // The stopped worker marked everything it sent: nothing is left claimed after an accepted send.
      const [mailAtStop, rowsAtStop] = [await readMailbox(mailDir), await deliveries()];
      expect(mailAtStop.length).toBeLessThan(recipients.size);
      const sentAtStop = new Set(
        rowsAtStop.filter((r) => r.status === 'sent').map((r) => recipients.get(r.subscriber_id)!),
      );
      expect(mailAtStop.map((m) => m.to).filter((to) => !sentAtStop.has(to))).toEqual([]);

      worker = await startWorkerProcess(workerEnv);
      const result = (await handle.result()) as DailyRunResult;
      const { extraCopies } = await expectOneMessageEach(mailDir, recipients);
      expect(extraCopies).toBe(0);
      expect(result.notifications).toEqual({ sent: recipients.size, skipped: 0, failed: 0 });
    } finally {
      if (worker) await killWorkerProcess(worker, 'SIGTERM');
      await sink.close();
    }
  });

  it('lets two runs of the same date (a manual one beside the scheduled one) send each email once: the second waits for the first', async () => {
    const recipients = await subscribeMany('twice', 60);
    const mailDir = tempDir('algo-twice-mail-');
    const sink = await startMailSink({ port: 0, dir: mailDir });
    const config = configFor(sink.port);
    try {
      const [a, b] = await withTestWorker(env, config, async () => {
        const first = await startDaily(config, { date: BUY_DAY, emailBatchSize: 5 });
        const second = await startDaily(config, { date: BUY_DAY, emailBatchSize: 5 });
        return (await Promise.all([first.result(), second.result()])) as DailyRunResult[];
      });
      const { extraCopies } = await expectOneMessageEach(mailDir, recipients);
      expect(extraCopies).toBe(0);
      // One run sent them all; the other found them sent.
      expect([a.notifications, b.notifications].sort((x, y) => y.sent - x.sent)).toEqual([
        { sent: recipients.size, skipped: 0, failed: 0 },
        { sent: 0, skipped: recipients.size, failed: 0 },
      ]);
      // Claimed once, by the run that sent it: the other found every signal carried and claimed nothing.
      for (const row of await deliveries()) expect(row.attempts).toBe(1);
    } finally {
      await sink.close();
    }
  });

  it('delivers every email once when the SMTP server is down at the start of the fan-out and comes back', async () => {
    const recipients = await subscribeMany('outage', 40);
    const mailDir = tempDir('algo-outage-mail-');
    const port = await freePort();
    const config = configFor(port);
    let sink: MailSink | undefined;
    try {
      const result = await withTestWorker(env, config, async () => {
        const handle = await startDaily(config, { date: BUY_DAY, emailBatchSize: 10 });
        // Down: every page's activity claims its deliveries, fails to send, and is retried with backoff.
        await waitFor(
          'email activities failing and retrying',
          async () => {
            const pending = await pendingEmailActivities(BUY_DAY);
            return pending.length > 0 && pending.every((a) => (a.attempt ?? 0) >= 3 && a.lastFailure);
          },
          30_000,
          100,
        );
        const claimed = await deliveries();
        expect(claimed.map((r) => r.status)).toEqual(recipients.size ? Array(recipients.size).fill('claimed') : []);
        expect(storedMessageCount(mailDir)).toBe(0);
        sink = await startMailSink({ port, dir: mailDir });
        return (await handle.result()) as DailyRunResult;
      });
      expect(result.notifications).toEqual({ sent: recipients.size, skipped: 0, failed: 0 });
      await expectOneMessageEach(mailDir, recipients);
      // The same delivery rows were claimed again by every retry: one row, one Message-ID, several attempts.
      for (const row of await deliveries()) expect(row.attempts).toBeGreaterThanOrEqual(3);
    } finally {
      await sink?.close();
    }
  });

  it('retries a temporary refusal (450) of some recipients until accepted, counting each email once as sent', async () => {
    const recipients = await subscribeMany('fine', 18, ['greylisted-1@example.com', 'greylisted-2@example.com']);
    const mailDir = tempDir('algo-defer-mail-');
    const port = await freePort();
    const config = configFor(port);
    let sink = await startMailSink({ port, dir: mailDir, deferRecipients: /^greylisted-/ });
    try {
      const result = await withTestWorker(env, config, async () => {
        const handle = await startDaily(config, { date: BUY_DAY, emailBatchSize: 10 });
        await waitFor(
          'the greylisted pages to be retried',
          async () => {
            const pending = await pendingEmailActivities(BUY_DAY);
            return pending.length > 0 && pending.every((a) => (a.attempt ?? 0) >= 2 && a.lastFailure);
          },
          30_000,
          100,
        );
        expect(storedMessageCount(mailDir)).toBe(18);
        await sink.close();
        sink = await startMailSink({ port, dir: mailDir });
        return (await handle.result()) as DailyRunResult;
      });
      // The 18 accepted at the first attempt are this run's sends too, not "already delivered".
      expect(result.notifications).toEqual({ sent: 20, skipped: 0, failed: 0 });
      await expectOneMessageEach(mailDir, recipients);
    } finally {
      await sink.close();
    }
  });

  it('fails the run loudly on a refused SMTP login (535), refuses no subscriber, and delivers every email once after the fix', async () => {
    const recipients = await subscribeMany('login', 12);
    const mailDir = tempDir('algo-login-mail-');
    const sink = await startMailSink({
      port: 0,
      dir: mailDir,
      credentials: { user: 'signals', password: 'right-password' },
    });
    const config = configFor(sink.port);
    // The login comes from the environment (SMTP_USER, SMTP_PASSWORD), as an operator would set it.
    const workerEnv = { ...workerProcessEnv(config, 'login', sink.port), SMTP_USER: 'signals' };
    let worker: ChildProcess | undefined = await startWorkerProcess({ ...workerEnv, SMTP_PASSWORD: 'wrong-password' });
    try {
      // Said at start already, before any run.
      const started = worker;
      await waitFor(
        'the worker to warn about the refused login',
        () => /warning: email to 127\.0\.0\.1:\d+ will fail until fixed: .*SMTP 535/.test(workerOutput(started)),
        10_000,
        50,
      );
      const handle = await startDaily(config, { date: BUY_DAY, emailBatchSize: 4 }, workerEnv.TEMPORAL_TASK_QUEUE);
      const failure = await handle.result().then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(failure).toBeInstanceOf(WorkflowFailedError);
      // The innermost cause: the activity's non-retryable failure, naming the reply and the keys to check.
      let cause = (failure as WorkflowFailedError).cause as TemporalFailure | undefined;
      while (cause?.cause) cause = cause.cause as TemporalFailure;
      expect(cause).toBeInstanceOf(ApplicationFailure);
      expect(cause).toMatchObject({ type: 'MailerConfigurationError', nonRetryable: true });
      expect(cause!.message).toMatch(/SMTP 535.*check mail\.user, mail\.password/);
      // Not retried for hours, not one attempt per subscriber: the first email activity failed the fan-out.
      const history = await emailsOf(BUY_DAY).fetchHistory();
      const attempts = history
        .events!.filter((e) => e.activityTaskStartedEventAttributes)
        .map((e) => e.activityTaskStartedEventAttributes!.attempt);
      expect(attempts.every((a) => a === 1)).toBe(true);
      // Nobody was refused for good, nothing was sent: the claims stay open for the run after the fix.
      expect(storedMessageCount(mailDir)).toBe(0);
      const claimed = await deliveries();
      expect(claimed.length).toBeGreaterThan(0);
      expect(claimed.filter((r) => r.status !== 'claimed')).toEqual([]);

      await killWorkerProcess(worker, 'SIGTERM');
      worker = await startWorkerProcess({ ...workerEnv, SMTP_PASSWORD: 'right-password' });
      const fixed = (await (
        await startDaily(config, { date: BUY_DAY, emailBatchSize: 4 }, workerEnv.TEMPORAL_TASK_QUEUE)
      ).result()) as DailyRunResult;
      expect(fixed.notifications).toEqual({ sent: recipients.size, skipped: 0, failed: 0 });
      await expectOneMessageEach(mailDir, recipients);
    } finally {
      if (worker) await killWorkerProcess(worker, 'SIGTERM');
      await sink.close();
    }
  });

  it('records a permanent rejection as failed, never retries it, and delivers the others', async () => {
    const recipients = await subscribeMany('ok', 8, ['bounce-1@example.com', 'bounce-2@example.com']);
    const mailDir = tempDir('algo-reject-mail-');
    const sink = await startMailSink({ port: 0, dir: mailDir, rejectRecipients: /^bounce-/ });
    const config = configFor(sink.port);
    try {
      const [first, again] = await withTestWorker(env, config, async () => {
        const handle = await startDaily(config, { date: BUY_DAY, emailBatchSize: 4 });
        const result = (await handle.result()) as DailyRunResult;
        const history = await emailsOf(BUY_DAY).fetchHistory();
        const attempts = history
          .events!.filter((e) => e.activityTaskStartedEventAttributes)
          .map((e) => e.activityTaskStartedEventAttributes!.attempt);
        expect(attempts.length).toBeGreaterThan(0);
        expect(attempts.every((a) => a === 1)).toBe(true);
        return [
          result,
          (await (await startDaily(config, { date: BUY_DAY, emailBatchSize: 4 })).result()) as DailyRunResult,
        ];
      });
      expect(first.notifications).toEqual({ sent: 8, skipped: 0, failed: 2 });
      expect(again.notifications).toEqual({ sent: 0, skipped: 10, failed: 0 });

      const delivered = new Map([...recipients].filter(([, email]) => !email.startsWith('bounce-')));
      await expectOneMessageEach(mailDir, delivered);
      const rows = await deliveries();
      expect(rows).toHaveLength(10);
      for (const row of rows) {
        const email = recipients.get(row.subscriber_id)!;
        if (email.startsWith('bounce-'))
          expect(row).toMatchObject({ status: 'failed', error: expect.stringMatching(new RegExp(`550.*${email}`)) });
        // Claimed once, by the first run: the re-run found each signal carried (or refused) and claimed nothing.
        expect(row.attempts).toBe(1);
      }
    } finally {
      await sink.close();
    }
  });
});
