import fs from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import { PostgresPriceRepository } from '../../src/adapters/postgres/postgres-price.repository';
import { DailyScheduleService } from '../../src/services/daily-schedule.service';
import { publicFailureMessage, PUBLIC_RETRY_MESSAGE } from '../../src/services/public-failure';
import { TemporalGateway } from '../../src/services/temporal-gateway';
import { playgroundCleanupWorkflow } from '../../src/workflows/playground-cleanup.workflow';
import { PLAYGROUND_CLEANUP_SCHEDULE_ID } from '../../src/workflows/workflow-ids';
import { startFullApi, type FullApi } from '../support/full-api';
import { loadSp500 } from '../unit/sp500-bars';

// @fastify/static (under swagger-ui) requires the ESM-only content-disposition, which jest cannot load (see api.test.ts).
jest.mock('content-disposition', () => ({ create: (name: string) => `attachment; filename="${name}"` }));

const API_KEY = 'playground-retention-admin-key-0123456789';
const MAX_STORED = 4;
const REQUEST = { ticker: 'AAPL', strategy: 'sma_cross', from: '2014-01-02' };

/**
 * Issue 18 points 4 and 6 on the real stack (Temporal dev server and worker,
 * Postgres, Redis, the filesystem object store as the app uses it): public
 * results expire and are capped, admin ones are never touched, and a failed
 * public run's answer carries no internal text.
 */
describe('the public playground cannot fill the disk, and tells no internals', () => {
  let api: FullApi;
  let reportsDir: string;

  beforeAll(async () => {
    api = await startFullApi({
      apiKey: API_KEY,
      configure: (config) => {
        config.tickers = ['AAPL'];
        config.playground.retentionDays = 30;
        config.playground.maxStoredResults = MAX_STORED;
        // The test's own report store (the loaded config points at the checkout's .data).
        config.backtests.reports.dir = path.join(config.dataDir, 'reports');
      },
    });
    reportsDir = api.config.backtests.reports.dir!;
    const prices = new PostgresPriceRepository(api.db.db);
    await prices.startRun({ runId: 'load', asOf: '2018-02-07', provider: 'csv', tickers: ['AAPL'] });
    await prices.saveIngestion({ runId: 'load', ticker: 'AAPL', bars: loadSp500('AAPL'), rejected: [] });
  }, 120_000);
  afterAll(async () => {
    await api?.close();
  });

  const get = (url: string, admin = false) =>
    fetch(`${api.baseUrl}${url}`, { headers: admin ? { 'x-api-key': API_KEY } : {} });
  async function start(url: '/playground/backtests' | '/backtests'): Promise<string> {
    const res = await fetch(`${api.baseUrl}${url}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(url === '/backtests' ? { 'x-api-key': API_KEY } : {}) },
      body: JSON.stringify(REQUEST),
    });
    expect(res.status).toBe(202);
    return ((await res.json()) as { id: string }).id;
  }
  const startPublic = () => start('/playground/backtests');
  const startAdmin = () => start('/backtests');
  /** Poll GET /backtests/{id} until it is no longer running; every answer seen, public or admin. */
  async function settle(id: string, admin = false): Promise<Array<{ status: number; body: Record<string, unknown> }>> {
    const seen: Array<{ status: number; body: Record<string, unknown> }> = [];
    const deadline = Date.now() + 90_000;
    for (;;) {
      const res = await get(`/backtests/${id}`, admin);
      seen.push({ status: res.status, body: (await res.json()) as Record<string, unknown> });
      if (res.status !== 202) return seen;
      if (Date.now() > deadline) throw new Error(`backtest ${id} still running`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  const files = (id: string) => ['report.html', 'equity.svg'].map((f) => path.join(reportsDir, 'backtests', id, f));
  const rowsOf = async (id: string) => ({
    backtests: (await api.db.db.selectFrom('backtests').select('id').where('id', '=', id).execute()).length,
    trades: (await api.db.db.selectFrom('backtest_trades').select('seq').where('backtest_id', '=', id).execute())
      .length,
  });
  const runCleanup = (workflowId: string, pageSize?: number) =>
    api.temporal.client.workflow.execute(playgroundCleanupWorkflow, {
      taskQueue: api.config.temporal.taskQueue,
      workflowId,
      args: [pageSize ? { pageSize } : {}],
    });
  async function expectGone(id: string, sentence: RegExp): Promise<void> {
    for (const url of [`/backtests/${id}`, `/backtests/${id}/chart`, `/backtests/${id}/report`]) {
      const res = await get(url);
      expect(res.status).toBe(410);
      expect(await res.json()).toEqual({ error: 'gone', message: expect.stringMatching(sentence) });
    }
    expect(await rowsOf(id)).toEqual({ backtests: 0, trades: 0 });
    for (const file of files(id)) expect(fs.existsSync(file)).toBe(false);
    // Its emptied directory goes too.
    expect(fs.existsSync(path.join(reportsDir, 'backtests', id))).toBe(false);
  }

  let fresh: string;

  it('`algo schedule create` adds the hourly cleanup; it deletes expired public results (rows and files), page by page, and keeps fresh and admin ones', async () => {
    const schedules = new DailyScheduleService({
      temporal: async () => TemporalGateway.fromConfig(api.temporal.client, api.config),
      taskQueue: api.config.temporal.taskQueue,
    });
    await schedules.create();
    const cleanup = await api.temporal.client.schedule.getHandle(PLAYGROUND_CLEANUP_SCHEDULE_ID).describe();
    expect(cleanup.action).toMatchObject({
      type: 'startWorkflow',
      workflowType: 'playgroundCleanupWorkflow',
      taskQueue: api.config.temporal.taskQueue,
    });
    expect(cleanup.spec.intervals).toEqual([expect.objectContaining({ every: 3_600_000 })]);
    await schedules.act('delete');

    const old1 = await startPublic();
    const old2 = await startPublic();
    fresh = await startPublic();
    const admin = await startAdmin();
    for (const id of [old1, old2, fresh, admin]) expect((await settle(id)).at(-1)?.status).toBe(200);
    for (const id of [old1, old2, fresh, admin]) for (const file of files(id)) expect(fs.existsSync(file)).toBe(true);
    expect((await rowsOf(old1)).trades).toBeGreaterThan(0);

    // Two public results 31 days old; the admin one far older (it is never public, so never expires).
    await sql`update public_backtests set created_at = now() - interval '31 days' where id in (${old1}, ${old2})`.execute(
      api.db.db,
    );
    await sql`update backtests set created_at = now() - interval '400 days' where id = ${admin}`.execute(api.db.db);

    expect(await runCleanup('playground-cleanup-test-1', 1)).toEqual({ deleted: 2, pages: 2, forgotten: 0 });
    for (const id of [old1, old2]) await expectGone(id, /^backtest \S+ has expired: .*deleted after 30 days/);
    expect((await get(`/backtests/${fresh}`)).status).toBe(200);
    expect((await get(`/backtests/${fresh}/report`)).status).toBe(200);
    expect((await get(`/backtests/${admin}`)).status).toBe(200);
    expect((await get(`/backtests/${admin}/chart`)).status).toBe(200);
    for (const file of [...files(fresh), ...files(admin)]) expect(fs.existsSync(file)).toBe(true);

    // Safe to run again: nothing more is due.
    expect(await runCleanup('playground-cleanup-test-2')).toEqual({ deleted: 0, pages: 0, forgotten: 0 });
  });

  it(`keeps at most ${MAX_STORED} public results: a new one deletes the oldest first; admin backtests are neither counted nor refused`, async () => {
    const kept = [fresh];
    for (let i = 0; i < MAX_STORED - 1; i++) kept.push(await startPublic());
    for (const id of kept) expect((await settle(id)).at(-1)?.status).toBe(200);
    // Admin backtests beside them change nothing.
    const admin = await startAdmin();
    expect((await settle(admin, true)).at(-1)?.status).toBe(200);
    for (const id of kept) expect((await get(`/backtests/${id}`)).status).toBe(200);

    const newest = await startPublic();
    expect((await settle(newest)).at(-1)?.status).toBe(200);
    await expectGone(fresh, /^backtest \S+ was deleted on \S+ to make room: .*keeps its 4 newest results/);
    for (const id of [...kept.slice(1), newest, admin]) expect((await get(`/backtests/${id}`)).status).toBe(200);
    const count = await sql<{
      n: number;
    }>`select count(*)::int as n from public_backtests where deleted_at is null`.execute(api.db.db);
    expect(count.rows[0].n).toBe(MAX_STORED);
  });

  it("a failed public run answers a plain sentence with its id, never the failure's text; the admin key still reads the cause", async () => {
    // The report store's directory made a file: every write fails with ENOTDIR and the server's path, retried, then failed.
    const backtestsDir = path.join(reportsDir, 'backtests');
    const aside = `${backtestsDir}.aside`;
    fs.renameSync(backtestsDir, aside);
    fs.writeFileSync(backtestsDir, 'not a directory');
    try {
      const id = await startPublic();
      const seen = await settle(id);
      const last = seen.at(-1)!;
      expect(last).toEqual({
        status: 200,
        body: { id, status: 'failed', error: publicFailureMessage('backtest', id) },
      });
      // While it was retried, the public progress said only that an attempt failed.
      const retries = seen.filter((s) => (s.body.progress as { lastError?: unknown } | undefined)?.lastError);
      expect(retries.length).toBeGreaterThan(0);
      for (const s of retries) expect((s.body.progress as { lastError: string }).lastError).toBe(PUBLIC_RETRY_MESSAGE);
      for (const s of seen)
        expect(JSON.stringify(s.body)).not.toMatch(/ENOTDIR|mkdir|not a directory|\/tmp\/|algo-full-api/);

      const detail = await get(`/backtests/${id}`, true);
      expect(await detail.json()).toEqual({
        id,
        status: 'failed',
        error: expect.stringContaining(backtestsDir),
      });
    } finally {
      fs.rmSync(backtestsDir);
      fs.renameSync(aside, backtestsDir);
    }
  }, 120_000);
});
