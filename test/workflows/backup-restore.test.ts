import fs from 'node:fs';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import type { Database } from '../../src/adapters/postgres/database';
import { dropDatabase } from '../../src/adapters/postgres/migrate';
import { PostgresSubscriberRepository } from '../../src/adapters/postgres/postgres-subscriber.repository';
import { createCliServices, type CliServices } from '../../src/cli/cli-services';
import { openDatabase } from '../../src/composition';
import type { AppConfig } from '../../src/config/config';
import { BadInputError, ConflictError } from '../../src/domain/errors';
import { startMailSink, type MailSink } from '../../src/mail-sink';
import { dailyRunWorkflow, type DailyRunResult } from '../../src/workflows/daily-run.workflow';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { seedCsvDir } from '../support/daily-run';
import { duplicates, readMailbox, tempDir } from '../support/mail';
import { startTestTemporal } from '../support/temporal';
import { startTestWorker, testConfig, type TestWorker } from '../support/worker';

describe('algo backup, drop the database, algo restore: Redis rebuilt, the next daily runs send nothing twice', () => {
  let env: TestWorkflowEnvironment;
  let t: TestDatabase;
  let sink: MailSink;
  let mailDir: string;
  let backupDir: string;
  let config: AppConfig;
  let worker: TestWorker;
  let redis: Redis;
  let appDb: Kysely<Database> | undefined;
  let services: CliServices & { close(): void };
  let runs = 0;

  beforeAll(async () => {
    env = await startTestTemporal();
    t = await createTestDatabase();
    mailDir = tempDir('backup-mail-');
    backupDir = tempDir('backup-files-');
    sink = await startMailSink({ port: 0, dir: mailDir });
    config = testConfig({
      databaseUrl: t.url,
      temporalAddress: env.address,
      csvDir: seedCsvDir(),
      smtpPort: sink.port,
      tickers: ['AAPL'],
    });
    worker = await startTestWorker(env, config);
    redis = new Redis(config.redis.url);
    // The CLI's own composition (the commands call exactly these services).
    services = createCliServices({
      config,
      db: () => (appDb ??= openDatabase(config)),
      redis: () => redis,
      temporal: () => Promise.reject(new Error('backups need no Temporal')),
    });
  }, 120_000);

  afterAll(async () => {
    services?.close();
    await appDb?.destroy();
    await worker?.stop();
    redis?.disconnect();
    await sink?.close();
    await t?.destroy();
    await env?.teardown();
  });

  const runDaily = (date: string): Promise<DailyRunResult> =>
    env.client.workflow.execute(dailyRunWorkflow, {
      taskQueue: config.temporal.taskQueue,
      workflowId: `daily-${date}-${++runs}`,
      args: [{ date }],
    });

  /** Every strategy state this test's worker keeps in Redis, by key. */
  async function redisStates(): Promise<Record<string, Record<string, string>>> {
    const keys = (await redis.keys(`${config.redis.keyPrefix}state:*`)).sort();
    const out: Record<string, Record<string, string>> = {};
    for (const key of keys) out[key] = await redis.hgetall(key);
    return out;
  }

  const deliveries = () =>
    t.db
      .selectFrom('deliveries')
      .select(['kind', 'run_date', 'subscriber_id', 'seq', 'message_id', 'status'])
      .orderBy(['run_date', 'subscriber_id', 'seq'])
      .execute();

  it('restores what was sent, so re-running the day and running the next send each signal once', async () => {
    await new PostgresSubscriberRepository(t.db).subscribe({
      email: 'ann@example.com',
      subscriptions: [
        { ticker: 'AAPL', strategy: 'sma_cross' },
        { ticker: 'AAPL', strategy: 'macd_cross' },
      ],
      confirmed: true,
    });
    // sma_cross says BUY on the seed AAPL data on 2010-11-29, macd_cross on 2010-12-02.
    expect((await runDaily('2010-11-29')).notifications).toEqual({ sent: 1, skipped: 0, failed: 0 });
    const sentBefore = await deliveries();
    const statesBefore = await redisStates();
    expect(Object.keys(statesBefore).length).toBeGreaterThan(0);

    const file = path.join(backupDir, 'algo.dump');
    const backup = await services.backups.backup({ file });
    expect(backup).toMatchObject({ file, database: new URL(t.url).pathname.slice(1) });
    expect(backup.bytes).toBe(fs.statSync(file).size);
    expect(backup.temporal).toContain('temporal.db');
    // Nothing is overwritten: the same file again is refused, and the first stays whole.
    await expect(services.backups.backup({ file })).rejects.toBeInstanceOf(ConflictError);
    expect(fs.statSync(file).size).toBe(backup.bytes);
    expect(fs.readdirSync(backupDir)).toEqual(['algo.dump']);

    // Restoring over a database with tables is refused, and loses nothing.
    await expect(services.backups.restore({ file })).rejects.toThrow(/is not empty .* restore only into an empty/);
    expect(await deliveries()).toEqual(sentBefore);

    // The database and Redis are lost.
    await dropDatabase(t.url);
    await redis.del(...Object.keys(statesBefore));

    const garbage = path.join(backupDir, 'not-a-dump');
    fs.writeFileSync(garbage, 'hello');
    await expect(services.backups.restore({ file: garbage })).rejects.toBeInstanceOf(BadInputError);
    await expect(services.backups.restore({ file: path.join(backupDir, 'missing') })).rejects.toThrow(/no backup file/);

    const restored = await services.backups.restore({ file });
    expect(restored.tables).toBe((await t.db.introspection.getTables({ withInternalKyselyTables: true })).length);
    expect(restored.migrationsApplied).toEqual([]);
    expect(restored.states.rebuilt).toBe(Object.keys(statesBefore).length);
    expect(await redisStates()).toEqual(statesBefore);
    expect(await deliveries()).toEqual(sentBefore);

    // The same day again sends nothing; the next BUY day sends only its own signal.
    expect((await runDaily('2010-11-29')).notifications).toEqual({ sent: 0, skipped: 1, failed: 0 });
    const next = await runDaily('2010-12-02');
    expect(next.notifications).toEqual({ sent: 1, skipped: 0, failed: 0 });

    const mails = await readMailbox(mailDir);
    expect(duplicates(mails.map((m) => m.messageId))).toEqual({});
    expect(mails.map((m) => m.subject).sort()).toEqual([
      'BUY AAPL (macd_cross) on 2010-12-02',
      'BUY AAPL (sma_cross) on 2010-11-29',
    ]);
  }, 240_000);

  it('a database emptied while Redis keeps its strategy states: the next run records its day and sends it', async () => {
    // Where the first test left off: Redis holds states through 2010-12-02. A new, empty database replaces the old.
    expect(Object.keys(await redisStates()).length).toBeGreaterThan(0);
    await t.truncateAll();
    await new PostgresSubscriberRepository(t.db).subscribe({
      email: 'bob@example.com',
      subscriptions: [{ ticker: 'AAPL', strategy: 'sma_cross' }],
      confirmed: true,
    });
    // States ahead of Postgres used to step over the day: 0 signals, no email, and nothing said.
    const run = await runDaily('2010-11-29');
    expect(run.notifications).toEqual({ sent: 1, skipped: 0, failed: 0 });
    const recorded = await t.db.selectFrom('signals').select(['date', 'strategy', 'signal']).execute();
    expect(recorded.length).toBeGreaterThan(0);
    expect(recorded.every((r) => r.date === '2010-11-29')).toBe(true);
    const mails = (await readMailbox(mailDir)).filter((m) => m.to === 'bob@example.com');
    expect(mails.map((m) => m.subject)).toEqual(['BUY AAPL (sma_cross) on 2010-11-29']);
    // The states now follow the new database: the next run steps on from the 29th, every day once.
    await runDaily('2010-12-02');
    const smaDays = await t.db
      .selectFrom('signals')
      .select('date')
      .where('strategy', '=', 'sma_cross')
      .orderBy('date')
      .execute();
    expect(smaDays.map((r) => r.date)).toEqual(['2010-11-29', '2010-11-30', '2010-12-01', '2010-12-02']);
  }, 240_000);
});
