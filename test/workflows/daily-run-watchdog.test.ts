import crypto from 'node:crypto';
import { WorkflowFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { AppConfig } from '../../src/config/config';
import type { DailyRunWatchResult } from '../../src/domain/monitoring/daily-run-watch';
import type { MarketDataProviderName } from '../../src/domain/market-data';
import { startMailSink, type MailSink } from '../../src/mail-sink';
import { dailyRunWatchdogWorkflow } from '../../src/workflows/daily-run-watchdog.workflow';
import { dailyRunWorkflow } from '../../src/workflows/daily-run.workflow';
import { isoDateInZone } from '../../src/domain/dates';
import { DailyScheduleService } from '../../src/services/daily-schedule.service';
import { TemporalGateway } from '../../src/services/temporal-gateway';
import { dailyRunWorkflowId, WATCHDOG_SCHEDULE_ID, watchdogWorkflowId } from '../../src/workflows/workflow-ids';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { readMailbox, tempDir, waitFor } from '../support/mail';
import { startTestTemporal } from '../support/temporal';
import { startTestWorker, testConfig, type TestWorker } from '../support/worker';

const OPS = 'ops@example.com';

/** A trading day whose run fails at once (an unknown provider), and one with no run at all. */
const FAILED_DAY = '2024-01-09';
const NEVER_STARTED_DAY = '2024-01-10';

describe('dailyRunWatchdogWorkflow: one alert per day and cause, on a real Temporal server and SMTP sink', () => {
  let env: TestWorkflowEnvironment;
  let t: TestDatabase;
  let sink: MailSink;
  let mailDir: string;
  let config: AppConfig;
  let worker: TestWorker;

  beforeAll(async () => {
    env = await startTestTemporal();
    t = await createTestDatabase();
    mailDir = tempDir('watchdog-mail-');
    sink = await startMailSink({ port: 0, dir: mailDir });
    config = testConfig({ databaseUrl: t.url, temporalAddress: env.address, smtpPort: sink.port });
    config.alerts = { email: OPS, deadline: '20:00' };
    worker = await startTestWorker(env, config);
  }, 120_000);

  afterAll(async () => {
    await worker?.stop();
    await sink?.close();
    await t?.destroy();
    await env?.teardown();
  });

  /** One watchdog check at the instant `at`, as its Schedule starts it. */
  const check = (at: string): Promise<DailyRunWatchResult> =>
    env.client.workflow.execute(dailyRunWatchdogWorkflow, {
      taskQueue: config.temporal.taskQueue,
      workflowId: watchdogWorkflowId(crypto.randomBytes(4).toString('hex')),
      args: [{ at }],
    });

  const alertsTo = async (to: string) => (await readMailbox(mailDir)).filter((m) => m.to === to);

  it('tells once that a trading day run failed: which run, what failed, its Temporal UI link', async () => {
    const failing = await env.client.workflow.start(dailyRunWorkflow, {
      taskQueue: config.temporal.taskQueue,
      workflowId: dailyRunWorkflowId(FAILED_DAY),
      args: [{ date: FAILED_DAY, provider: 'nope' as MarketDataProviderName }],
    });
    await expect(failing.result()).rejects.toBeInstanceOf(WorkflowFailedError);

    // 18:40 in New York, before the deadline: a failure is told at once (once visibility has the run).
    const first = await waitFor('the failed run in visibility', async () => {
      const r = await check('2024-01-09T18:40:00-05:00');
      return r.cause ? r : null;
    });
    expect(first).toEqual({ date: FAILED_DAY, tradingDay: true, runs: 1, cause: 'failed', alert: 'sent' });

    // Later checks, before and after the deadline, find it told.
    expect((await check('2024-01-09T19:10:00-05:00')).alert).toBe('already_sent');
    expect(await check('2024-01-09T21:00:00-05:00')).toMatchObject({ cause: 'failed', alert: 'already_sent' });

    const mails = await alertsTo(OPS);
    expect(mails).toHaveLength(1);
    const [mail] = mails;
    expect(mail.subject).toBe(`[algo-signals] daily run of ${FAILED_DAY} failed`);
    expect(mail.messageId).toBe(`<alert.failed.${FAILED_DAY}@algo-signals>`);
    expect(mail.text).toContain(`Run: ${dailyRunWorkflowId(FAILED_DAY)} (run id ${failing.firstExecutionRunId})`);
    expect(mail.text).toContain('What failed: provider "nope" is not one of');
    expect(mail.text).toContain(
      `Temporal UI: http://127.0.0.1:8233/namespaces/default/workflows/daily-2024-01-09/${failing.firstExecutionRunId}/history`,
    );
    const rows = await t.db.selectFrom('daily_run_alerts').selectAll().where('date', '=', FAILED_DAY).execute();
    expect(rows.map((r) => [r.cause, r.status, r.workflow_id])).toEqual([['failed', 'sent', 'daily-2024-01-09']]);
  }, 120_000);

  it('tells once that no run of a trading day started by the deadline, and nothing before it', async () => {
    const before = await check('2024-01-10T19:59:00-05:00');
    expect(before).toEqual({ date: NEVER_STARTED_DAY, tradingDay: true, runs: 0, cause: null, alert: null });
    expect(await alertsTo(OPS)).toHaveLength(1);

    expect(await check('2024-01-10T20:00:00-05:00')).toMatchObject({ cause: 'not_finished', alert: 'sent' });
    expect(await check('2024-01-10T20:15:00-05:00')).toMatchObject({ cause: 'not_finished', alert: 'already_sent' });

    const late = (await alertsTo(OPS)).filter((m) => m.subject.includes(NEVER_STARTED_DAY));
    expect(late).toHaveLength(1);
    expect(late[0].subject).toBe(
      `[algo-signals] daily run of ${NEVER_STARTED_DAY} not finished by 20:00 America/New_York`,
    );
    expect(late[0].text).toContain(`No daily run of ${NEVER_STARTED_DAY} has started by 20:00 America/New_York.`);
    expect(late[0].text).toContain('/namespaces/default/workflows?query=WorkflowType%3D%22dailyRunWorkflow%22');
  }, 120_000);

  it('says nothing on a day the exchange is closed, and refuses an instant that is not one', async () => {
    // Martin Luther King Jr. Day.
    expect(await check('2024-01-15T21:00:00-05:00')).toEqual({
      date: '2024-01-15',
      tradingDay: false,
      runs: 0,
      cause: null,
      alert: null,
    });
    await expect(check('yesterday evening')).rejects.toThrow(WorkflowFailedError);
    expect(await alertsTo(OPS)).toHaveLength(2);
  }, 60_000);

  it('runs from its own Schedule, created and deleted with the daily one, judging the day it starts on', async () => {
    const schedules = new DailyScheduleService({
      temporal: async () => TemporalGateway.fromConfig(env.client, config),
      taskQueue: config.temporal.taskQueue,
    });
    await schedules.create();
    const watchdog = env.client.schedule.getHandle(WATCHDOG_SCHEDULE_ID);
    const described = await watchdog.describe();
    expect(described.spec.intervals?.map((i) => i.every)).toEqual([15 * 60 * 1000]);
    expect(described.action).toMatchObject({ type: 'startWorkflow', workflowType: 'dailyRunWatchdogWorkflow' });

    await watchdog.trigger();
    const workflowId = await waitFor(
      'the triggered check',
      async () => (await watchdog.describe()).info.recentActions[0]?.action.workflow.workflowId,
    );
    const result = (await env.client.workflow.getHandle(workflowId).result()) as DailyRunWatchResult;
    expect(result.date).toBe(isoDateInZone(Date.now(), 'America/New_York'));

    await schedules.act('delete');
    await expect(watchdog.describe()).rejects.toThrow();
  }, 60_000);
});
