import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import type { Database } from '../../src/adapters/postgres/database';
import { dropDatabase } from '../../src/adapters/postgres/migrate';
import { PostgresSubscriberRepository } from '../../src/adapters/postgres/postgres-subscriber.repository';
import { createCliServices, type CliServices } from '../../src/cli/cli-services';
import { connectTemporal, openDatabase, type TemporalClientHandle } from '../../src/composition';
import type { AppConfig } from '../../src/config/config';
import { ConflictError } from '../../src/domain/errors';
import { startMailSink, type MailSink } from '../../src/mail-sink';
import { TemporalGateway } from '../../src/services/temporal-gateway';
import { temporalDatabaseUrl } from '../../src/stack/production-server';
import { stackDown, stackUp } from '../../src/stack/stack';
import { temporalServer } from '../../src/stack/stack-processes';
import type { DailyRunResult } from '../../src/workflows/daily-run.workflow';
import { DAILY_SCHEDULE_ID, WATCHDOG_SCHEDULE_ID } from '../../src/workflows/workflow-ids';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { killWorkerProcess, seedCsvDir, startWorkerProcess } from '../support/daily-run';
import { duplicates, readMailbox, tempDir } from '../support/mail';
import { productionConfig, requireProductionBinaries } from '../support/production-temporal';

// Production mode (temporal.server: postgres): `algo backup` dumps Temporal's two
// databases beside the app's, so that after everything is dropped, `algo restore`
// (with the server stopped) and `algo stack up` bring back the Schedules and the run
// histories with the signals and deliveries; the next daily runs send nothing twice.
// The app's database and the server's two are private to this test (names of its own).
requireProductionBinaries();

describe('production mode: algo backup, drop everything, algo restore: Schedules and histories come back', () => {
  let t: TestDatabase;
  let sink: MailSink;
  let mailDir: string;
  let backupDir: string;
  let config: AppConfig;
  let redis: Redis;
  let worker: ChildProcess | undefined;
  let temporal: TemporalClientHandle | undefined;
  let appDb: Kysely<Database> | undefined;
  let services: CliServices & { close(): void };
  let runs = 0;
  const processes = [temporalServer];

  const temporalDatabases = () => [config.temporal.production.database, config.temporal.production.visibilityDatabase];

  async function startServer(): Promise<void> {
    await stackUp(config, { processes });
    temporal = await connectTemporal(config);
  }

  async function stopServer(): Promise<void> {
    await temporal?.close();
    temporal = undefined;
    await stackDown(config, { processes, graceMs: 10_000 });
  }

  const startWorker = async () => {
    worker = await startWorkerProcess({
      DATABASE_URL: t.url,
      TEMPORAL_ADDRESS: config.temporal.address,
      TEMPORAL_TASK_QUEUE: config.temporal.taskQueue,
      REDIS_KEY_PREFIX: config.redis.keyPrefix,
      ALGO_CSV_DIR: seedCsvDir(),
      ALGO_TICKERS: 'AAPL',
      SMTP_PORT: String(sink.port),
    });
  };

  beforeAll(async () => {
    t = await createTestDatabase('algo_backup_prod');
    mailDir = tempDir('backup-prod-mail-');
    backupDir = tempDir('backup-prod-files-');
    sink = await startMailSink({ port: 0, dir: mailDir });
    config = await productionConfig(t.url, { ALGO_CSV_DIR: seedCsvDir(), ALGO_TICKERS: 'AAPL' });
    redis = new Redis(config.redis.url);
    await startServer();
    await startWorker();
    // The CLI's own composition (the commands call exactly these services), over the current connection.
    services = createCliServices({
      config,
      db: () => (appDb ??= openDatabase(config)),
      redis: () => redis,
      temporal: async () => TemporalGateway.fromConfig(temporal!.client, config),
    });
  }, 300_000);

  afterAll(async () => {
    services?.close();
    await appDb?.destroy();
    if (worker) await killWorkerProcess(worker, 'SIGTERM');
    await temporal?.close();
    if (config) {
      await stackDown(config, { processes, graceMs: 10_000 }).catch(() => undefined);
      for (const name of temporalDatabases())
        await dropDatabase(temporalDatabaseUrl(config, name)).catch(() => undefined);
    }
    redis?.disconnect();
    await sink?.close();
    await t?.destroy();
  }, 120_000);

  const runDaily = async (date: string): Promise<{ workflowId: string; result: DailyRunResult }> => {
    const workflowId = `daily-${date}-${++runs}`;
    const result = await temporal!.client.workflow.execute('dailyRunWorkflow', {
      taskQueue: config.temporal.taskQueue,
      workflowId,
      args: [{ date }],
    });
    return { workflowId, result: result as DailyRunResult };
  };

  /** What Temporal knows of a run: its status, its history's events, its result, and whether visibility lists it. */
  async function runRecord(workflowId: string) {
    const handle = temporal!.client.workflow.getHandle(workflowId);
    const history = await handle.fetchHistory();
    const listed: string[] = [];
    for await (const w of temporal!.client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
      listed.push(w.status.name);
    }
    return {
      status: (await handle.describe()).status.name,
      events: history.events?.map((e) => String(e.eventType)),
      result: (await handle.result()) as DailyRunResult,
      listed,
    };
  }

  /** The Schedules as Temporal describes them (their specs and actions; not times that move). */
  async function schedules() {
    const out: Record<string, unknown> = {};
    for (const id of [DAILY_SCHEDULE_ID, WATCHDOG_SCHEDULE_ID]) {
      const d = await temporal!.client.schedule.getHandle(id).describe();
      out[id] = { spec: d.spec, action: d.action, paused: d.state.paused };
    }
    return out;
  }

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

  it('restores the Schedules, the completed run and its history with the app database; nothing is sent twice', async () => {
    await new PostgresSubscriberRepository(t.db).subscribe({
      email: 'ann@example.com',
      subscriptions: [
        { ticker: 'AAPL', strategy: 'sma_cross' },
        { ticker: 'AAPL', strategy: 'macd_cross' },
      ],
      confirmed: true,
    });
    await services.dailySchedule.create();
    // sma_cross says BUY on the seed AAPL data on 2010-11-29, macd_cross on 2010-12-02.
    const first = await runDaily('2010-11-29');
    expect(first.result.notifications).toEqual({ sent: 1, skipped: 0, failed: 0 });
    const schedulesBefore = await schedules();
    const runBefore = await runRecord(first.workflowId);
    expect(runBefore.status).toBe('COMPLETED');
    expect(runBefore.events!.length).toBeGreaterThan(5);
    const sentBefore = await deliveries();
    const statesBefore = await redisStates();

    const file = path.join(backupDir, 'algo.dump');
    const backup = await services.backups.backup({ file });
    const [temporalDb, visibilityDb] = temporalDatabases();
    expect(backup.temporalDumps.map((d) => [d.role, d.database, path.basename(d.file)])).toEqual([
      ['temporal', temporalDb, 'algo.dump.temporal'],
      ['temporal_visibility', visibilityDb, 'algo.dump.temporal_visibility'],
    ]);
    for (const d of [backup, ...backup.temporalDumps]) expect(fs.statSync(d.file).size).toBe(d.bytes);
    expect(fs.readdirSync(backupDir).sort()).toEqual([
      'algo.dump',
      'algo.dump.temporal',
      'algo.dump.temporal_visibility',
    ]);
    // A second backup to the same name is refused before anything is written.
    await expect(services.backups.backup({ file })).rejects.toBeInstanceOf(ConflictError);

    // Restoring under a running server is refused, and changes nothing.
    await expect(services.backups.restore({ file })).rejects.toThrow(/Temporal server at .* is running; stop it first/);
    expect(await deliveries()).toEqual(sentBefore);

    // Everything is lost: the server stops, its two databases, the app's and Redis's states go.
    await killWorkerProcess(worker!, 'SIGTERM');
    worker = undefined;
    await stopServer();
    for (const name of temporalDatabases()) await dropDatabase(temporalDatabaseUrl(config, name));
    await dropDatabase(t.url);
    await redis.del(...Object.keys(statesBefore));

    // A Temporal dump missing beside the app's is refused: the two restore together or not at all.
    const lonely = path.join(backupDir, 'lonely.dump');
    fs.copyFileSync(file, lonely);
    fs.copyFileSync(`${file}.temporal`, `${lonely}.temporal`);
    await expect(services.backups.restore({ file: lonely })).rejects.toThrow(
      /lonely\.dump\.temporal_visibility is missing/,
    );

    const restored = await services.backups.restore({ file });
    expect(restored.temporalRestored.map((r) => [r.role, r.database])).toEqual([
      ['temporal', temporalDb],
      ['temporal_visibility', visibilityDb],
    ]);
    expect(restored.temporal).toMatch(/Schedules and run histories are back/);
    expect(restored.states.rebuilt).toBe(Object.keys(statesBefore).length);
    expect(await redisStates()).toEqual(statesBefore);
    expect(await deliveries()).toEqual(sentBefore);

    // The server starts on the restored databases (its schemas are current: nothing to set up).
    await startServer();
    expect(await schedules()).toEqual(schedulesBefore);
    expect(await runRecord(first.workflowId)).toEqual(runBefore);
    expect((await services.dailySchedule.describe()).scheduleId).toBe(DAILY_SCHEDULE_ID);

    // The same day again sends nothing; the next BUY day sends only its own signal.
    await startWorker();
    expect((await runDaily('2010-11-29')).result.notifications).toEqual({ sent: 0, skipped: 1, failed: 0 });
    expect((await runDaily('2010-12-02')).result.notifications).toEqual({ sent: 1, skipped: 0, failed: 0 });
    const mails = await readMailbox(mailDir);
    expect(duplicates(mails.map((m) => m.messageId))).toEqual({});
    expect(mails.map((m) => m.subject).sort()).toEqual([
      'BUY AAPL (macd_cross) on 2010-12-02',
      'BUY AAPL (sma_cross) on 2010-11-29',
    ]);
  }, 900_000);
});
