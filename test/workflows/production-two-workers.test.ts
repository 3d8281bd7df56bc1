import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { sql } from 'kysely';
import type { AppConfig } from '../../src/config/config';
import { deliveryMessageId } from '../../src/domain/notifications/delivery';
import { startMailSink, type MailSink } from '../../src/mail-sink';
import type { DailyRunInput, DailyRunResult } from '../../src/workflows/daily-run.workflow';
import { notificationsWorkflowId } from '../../src/workflows/workflow-ids';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { killWorkerProcess, startWorkerProcess, type WorkerProcessEnv } from '../support/daily-run';
import { duplicates, readMailbox, storedMessageCount, tempDir, waitFor } from '../support/mail';
import { productionConfig, requireProductionBinaries, startProductionTemporal } from '../support/production-temporal';

// Scale out, proven on production mode: the Temporal server on Postgres, two worker
// processes on one task queue, the daily job over the 505 S&P 500 tickers with 10,000
// subscribers, and one worker killed with SIGKILL in the middle of the email fan-out.
requireProductionBinaries();

const SP500_DIR = path.resolve(__dirname, '../../../shared/data/sp500_5yr');
/** The last day of the S&P 500 files. */
const DATE = '2018-02-07';
const SUBSCRIBERS = 10_000;
/** Subscribers per email activity: 100 activities, so both workers take many. */
const PAGE_SIZE = 100;

describe('two workers on production mode, one killed during the fan-out of 10,000 digests', () => {
  let database: TestDatabase;
  let config: AppConfig;
  let temporal: { stop(): Promise<void> } | undefined;
  let connection: Connection;
  let client: Client;
  let sink: MailSink;
  let mailDir: string;
  let workerEnv: WorkerProcessEnv;
  const workers: ChildProcess[] = [];

  const runDaily = (input: DailyRunInput, workflowId: string) =>
    client.workflow.start('dailyRunWorkflow', { taskQueue: config.temporal.taskQueue, workflowId, args: [input] });

  beforeAll(async () => {
    database = await createTestDatabase();
    config = await productionConfig(database.url, { ALGO_CSV_DIR: SP500_DIR });
    temporal = await startProductionTemporal(config);
    connection = await Connection.connect({ address: config.temporal.address });
    client = new Client({ connection, namespace: config.temporal.namespace });
    mailDir = tempDir('algo-two-workers-mail-');
    sink = await startMailSink({ port: 0, dir: mailDir });
    const tickers = fs
      .readdirSync(SP500_DIR)
      .filter((name) => name.endsWith('_data.csv'))
      .map((name) => name.replace(/_data\.csv$/, ''));
    expect(tickers).toHaveLength(505);
    workerEnv = {
      DATABASE_URL: database.url,
      TEMPORAL_ADDRESS: config.temporal.address,
      TEMPORAL_TASK_QUEUE: config.temporal.taskQueue,
      REDIS_KEY_PREFIX: config.redis.keyPrefix,
      ALGO_CSV_DIR: SP500_DIR,
      ALGO_TICKERS: tickers.join(','),
      SMTP_PORT: String(sink.port),
    };
  }, 300_000);

  afterAll(async () => {
    for (const worker of workers) await killWorkerProcess(worker, 'SIGTERM');
    await connection?.close();
    await sink?.close();
    await temporal?.stop();
    await database?.destroy();
  }, 120_000);

  it('sends every digest once, both workers complete email activities, and the run finishes', async () => {
    workers.push(await startWorkerProcess(workerEnv), await startWorkerProcess(workerEnv));
    const [doomed, survivor] = workers;
    // The SDK's default worker identity: <pid>@<host>.
    const identityOf = (worker: ChildProcess) => new RegExp(`^${worker.pid}@`);

    // The first run of the day backfills the 505 tickers and records their signals; nobody is subscribed yet.
    const warmUp = (await (await runDaily({ date: DATE }, `daily-${DATE}-warm-up`)).result()) as DailyRunResult;
    expect(warmUp.notifications).toEqual({ sent: 0, skipped: 0, failed: 0 });
    const pairs = await database.db
      .selectFrom('signals')
      .select(['ticker', 'strategy'])
      .where('date', '=', DATE)
      .where('signal', 'in', ['BUY', 'SELL'])
      .orderBy('ticker')
      .orderBy('strategy')
      .execute();
    expect(pairs.length).toBeGreaterThan(10);

    // 10,000 confirmed subscribers, each following one (ticker, strategy) with a BUY or SELL that day.
    const emails = Array.from({ length: SUBSCRIBERS }, (_, i) => `scale-${String(i).padStart(5, '0')}@example.com`);
    const { rows: subscribed } = await sql<{ id: string; email: string }>`
      insert into subscribers (email, status, confirmed_at)
      select e, 'confirmed', now() from unnest(${emails}::text[]) e returning id, email`.execute(database.db);
    const recipients = new Map(subscribed.map((r) => [Number(r.id), r.email]));
    await database.db
      .insertInto('subscriptions')
      .values(
        [...recipients.keys()].map((id, i) => ({
          subscriber_id: id,
          ticker: pairs[i % pairs.length].ticker,
          strategy: pairs[i % pairs.length].strategy,
        })),
      )
      .execute();

    // The day's run: ingestion and evaluation again (nothing new), then the fan-out to 10,000.
    const run = await runDaily({ date: DATE, emailBatchSize: PAGE_SIZE }, `daily-${DATE}`);
    const fanOut = client.workflow.getHandle(notificationsWorkflowId({ kind: 'daily', date: DATE }));
    /** The worker identity of each completed email activity (sendNotifications) in the fan-out's history. */
    const completedBy = async () => {
      const events = (await fanOut.fetchHistory()).events ?? [];
      const typeOf = new Map(
        events
          .filter((e) => e.activityTaskScheduledEventAttributes)
          .map((e) => [Number(e.eventId), e.activityTaskScheduledEventAttributes!.activityType?.name]),
      );
      return events
        .map((e) => e.activityTaskCompletedEventAttributes)
        .filter((done) => done && typeOf.get(Number(done.scheduledEventId)) === 'sendNotifications')
        .map((done) => done!.identity ?? '');
    };
    // Kill one worker once both have completed email activities and most emails are still to go.
    await waitFor(
      'both workers to complete email activities',
      async () => {
        if (storedMessageCount(mailDir) === 0) return false;
        const ids = await completedBy().catch(() => []);
        return ids.some((id) => identityOf(doomed).test(id)) && ids.some((id) => identityOf(survivor).test(id));
      },
      600_000,
      200,
    );
    await killWorkerProcess(doomed, 'SIGKILL');
    const atKill = await database.db.selectFrom('deliveries').select(['subscriber_id', 'status']).execute();
    const mailAtKill = storedMessageCount(mailDir);
    expect(mailAtKill).toBeLessThan(SUBSCRIBERS);
    // Accepted by the sink while still `claimed`: no sender can know these went out, so they may be sent
    // again with the same Message-ID (the one gap SMTP leaves). Every delivery recorded sent has one copy.
    const mayHaveCopy = new Set(
      atKill.filter((r) => r.status === 'claimed').map((r) => recipients.get(r.subscriber_id)!),
    );

    const result = (await run.result()) as DailyRunResult;
    expect((await run.describe()).status.name).toBe('COMPLETED');
    expect(result.notifications).toEqual({ sent: SUBSCRIBERS, skipped: 0, failed: 0 });

    const mail = await readMailbox(mailDir);
    expect(new Set(mail.map((m) => m.to)).size).toBe(SUBSCRIBERS);
    expect(new Set(mail.map((m) => m.messageId)).size).toBe(SUBSCRIBERS);
    const messageIdOf = new Map(
      [...recipients].map(([id, email]) => [email, `<${deliveryMessageId('daily', DATE, id)}>`]),
    );
    expect(mail.filter((m) => m.messageId !== messageIdOf.get(m.to))).toEqual([]);
    const copies = Object.entries(duplicates(mail.map((m) => m.to)));
    expect(copies.filter(([to, n]) => !mayHaveCopy.has(to) || n > 2)).toEqual([]);
    const rows = await database.db.selectFrom('deliveries').select(['status']).execute();
    expect(rows.filter((r) => r.status === 'sent')).toHaveLength(SUBSCRIBERS);

    // Both workers completed email activities: their identities are in the fan-out's history.
    const identities = await completedBy();
    expect(identities).toHaveLength(SUBSCRIBERS / PAGE_SIZE);
    expect(identities.some((id) => identityOf(doomed).test(id))).toBe(true);
    expect(identities.some((id) => identityOf(survivor).test(id))).toBe(true);
    process.stderr.write(
      `two workers: ${mailAtKill} of ${SUBSCRIBERS} emails out at the kill, ${copies.length} resent copies, ` +
        `${identities.filter((id) => identityOf(doomed).test(id)).length} email activities by the killed worker, ` +
        `${identities.filter((id) => identityOf(survivor).test(id)).length} by the survivor\n`,
    );
  }, 1_500_000);
});
