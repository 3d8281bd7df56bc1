import fs from 'node:fs';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { AppConfig } from '../../src/config/config';
import { parseCsv } from '../../src/adapters/market-data/csv-market-data.provider';
import { PostgresPriceRepository } from '../../src/adapters/postgres/postgres-price.repository';
import { PostgresReadjustmentRepository } from '../../src/adapters/postgres/postgres-readjustment.repository';
import { ReadjustmentsService } from '../../src/services/readjustments.service';
import { dataFreshness } from '../../src/stack/data-freshness';
import { TemporalGateway } from '../../src/services/temporal-gateway';
import type { IngestPricesResult } from '../../src/workflows/ingest-prices.workflow';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { tempDir } from '../support/mail';
import { startTestTemporal } from '../support/temporal';
import { testConfig, withTestWorker } from '../support/worker';

const RAW_NFLX = path.resolve(__dirname, '../../../shared/data/raw_with_splits/NFLX.csv');
/** Enough days before NFLX's 7-for-1 split of 2015-07-15 for every indicator. */
const WINDOW = { from: '2014-06-02', to: '2015-07-17' };
const SPLIT_DAY = '2015-07-15';
const DAY_BEFORE = '2015-07-14';

/** The raw file's header and its rows of the window, as read. */
function rawWindow(): { header: string[]; rows: string[][] } {
  const [header, ...records] = parseCsv(fs.readFileSync(RAW_NFLX, 'utf8'));
  const rows = records.map((r) => r.fields).filter(([date]) => date >= WINDOW.from && date <= WINDOW.to);
  return { header: header.fields, rows };
}

function writeCsv(dir: string, ticker: string, header: readonly string[], rows: readonly string[][]): void {
  fs.writeFileSync(path.join(dir, `${ticker}.csv`), `${[header, ...rows].map((r) => r.join(',')).join('\n')}\n`);
}

/** Issue 18 point 7: an implausible split or history rewrite is quarantined, applied only when approved, and undone. */
describe('one bad answer does not rewrite history (real Temporal, Postgres, Redis)', () => {
  let env: TestWorkflowEnvironment;
  let t: TestDatabase;
  let config: AppConfig;
  let prices: PostgresPriceRepository;
  let repo: PostgresReadjustmentRepository;
  let service: ReadjustmentsService;
  let runs = 0;

  beforeAll(async () => {
    [env, t] = await Promise.all([startTestTemporal(), createTestDatabase()]);
    config = testConfig({ databaseUrl: t.url, temporalAddress: env.address });
    prices = new PostgresPriceRepository(t.db);
    repo = new PostgresReadjustmentRepository(t.db);
    const gateway = TemporalGateway.fromConfig(env.client, config);
    service = new ReadjustmentsService({ readjustments: () => repo, temporal: async () => gateway });
  });
  afterAll(async () => {
    await t?.destroy();
    await env?.teardown();
  });
  beforeEach(() => t.truncateAll());

  const ingest = (dir: string, asOf: string) =>
    env.client.workflow.execute('ingestPricesWorkflow', {
      taskQueue: config.temporal.taskQueue,
      workflowId: `ingest-quarantine-${++runs}-${Date.now()}`,
      args: [{ provider: 'csv', csvDir: dir, tickers: ['NFLX'], asOf }],
    }) as Promise<IngestPricesResult>;

  it('quarantines a split the prices do not follow; approve applies it keeping what it replaced; undo puts that back', async () => {
    const { header, rows } = rawWindow();
    // The provider says 2-for-1 where the close went from 702.6 to 98.13 (7.2x): within the 10x a row may move, not a 2-for-1.
    const splitColumn = header.indexOf('split_coefficient');
    const wrong = rows.map((r) => (r[0] === SPLIT_DAY ? r.map((v, i) => (i === splitColumn ? '2.0' : v)) : r));
    const dir = tempDir('algo-quarantine-split-');
    writeCsv(dir, 'NFLX', header, wrong);

    await withTestWorker(env, config, async () => {
      await ingest(dir, DAY_BEFORE);
      const stored = await prices.bars('NFLX');
      const result = await ingest(dir, SPLIT_DAY);

      const [quarantined] = await repo.readjustments({ ticker: 'NFLX' });
      expect(quarantined).toMatchObject({
        status: 'quarantined',
        reason: 'split',
        factor: 2,
        rowsChanged: 0,
        quarantineReason:
          'split factor 2 on 2015-07-15 does not match the prices: the close went from 702.6 to 98.13 (7.1599x, expected 2x within 1.5x)',
      });
      // Reported in the run's result: the ticker is failed (no strategy runs on it), with the way out.
      expect(result.tickers[0]).toMatchObject({
        ticker: 'NFLX',
        status: 'failed',
        error: `stored history not re-adjusted: re-adjustment ${quarantined.id} quarantined (${quarantined.quarantineReason}); apply it with algo readjust approve ${quarantined.id}`,
      });
      expect(result.readjustments).toMatchObject([{ id: quarantined.id, status: 'quarantined' }]);
      // Nothing of the stored history changed, and the split day (as traded, on the new basis) waits too.
      expect(await prices.bars('NFLX')).toEqual(stored);
      expect((await service.list({ status: 'quarantined' })).map((r) => r.id)).toEqual([quarantined.id]);
      // The next day's ingestion finds the same split, still quarantined: the ticker stays failed, nothing stored.
      const nextDay = await ingest(dir, '2015-07-16');
      expect(nextDay.tickers[0]).toMatchObject({ status: 'failed', error: result.tickers[0].error });
      expect(await prices.bars('NFLX')).toEqual(stored);
      expect(await repo.readjustments({ ticker: 'NFLX' })).toEqual([quarantined]);

      // Only an approval applies it.
      const approved = await service.approve(quarantined.id);
      expect(approved).toMatchObject({ status: 'applied', factor: 2, alreadyRecorded: false });
      const adjusted = await prices.bars('NFLX', { to: DAY_BEFORE });
      expect(adjusted.map((b) => b.close)).toEqual(stored.map((b) => b.close / 2));
      // The split day came with the rewrite, in the same transaction.
      expect((await prices.bars('NFLX', { from: SPLIT_DAY })).map((b) => [b.date, b.close])).toEqual([
        [SPLIT_DAY, 98.13],
      ]);
      expect((await repo.readjustmentById(quarantined.id))?.status).toBe('approved');
      await expect(service.approve(quarantined.id)).rejects.toThrow(
        `re-adjustment ${quarantined.id} is approved: only a quarantined one can be approved`,
      );

      // Undo puts back every value it replaced, exactly: the history as it was before the split was found.
      const undone = await service.undo(approved.id);
      expect(undone.readjustment).toMatchObject({ id: approved.id, status: 'undone' });
      expect(await prices.bars('NFLX')).toEqual(stored);
      await expect(service.undo(approved.id)).rejects.toThrow(
        `re-adjustment ${approved.id} is undone: only an applied one can be undone`,
      );

      // Found again after the undo: its record stays as it is, and the ticker is failed, not silently ok.
      const afterUndo = await ingest(dir, '2015-07-16');
      expect(afterUndo.tickers[0]).toMatchObject({
        status: 'failed',
        error: `stored history not re-adjusted: re-adjustment ${quarantined.id} of this split (${SPLIT_DAY}) is approved, so the ticker's new days are not stored`,
      });
      expect(await prices.bars('NFLX')).toEqual(stored);
    });
  });

  it('quarantines a re-backfill with fewer days than stored, and one overlap close that alone differs', async () => {
    const { rows } = rawWindow();
    // Yahoo's export format: no split column; the window before the split, as traded.
    const header = ['Date', 'Open', 'High', 'Low', 'Close', 'Adj Close', 'Volume'];
    const yahoo = (rs: string[][], scale = 1) =>
      rs
        .filter((r) => r[0] < SPLIT_DAY)
        .map(([date, open, high, low, close, , volume]) => [
          date,
          ...[open, high, low, close, close].map((v) => String(Number(v) * scale)),
          String(Math.round(Number(volume) / scale)),
        ]);
    const dir = tempDir('algo-quarantine-history-');
    writeCsv(dir, 'NFLX', header, yahoo(rows));

    await withTestWorker(env, config, async () => {
      await ingest(dir, '2015-07-10');
      const stored = await prices.bars('NFLX');

      // One stored day of the overlap served with another close (its low); the others as stored.
      const oneBad = yahoo(rows).map((r) => (r[0] === '2015-07-08' ? [r[0], r[1], r[2], r[3], r[3], r[3], r[6]] : r));
      writeCsv(dir, 'NFLX', header, oneBad);
      const first = await ingest(dir, '2015-07-13');
      expect(first.tickers[0]).toMatchObject({ status: 'failed' });
      const [single] = await repo.readjustments({ status: 'quarantined' });
      expect(single.quarantineReason).toMatch(
        /^only 2015-07-08 differs among the \d+ stored days fetched again: one bad answer, not a rewritten history$/,
      );
      // The new day (2015-07-13) waits with it: only the stored days, as stored.
      expect(await prices.bars('NFLX')).toEqual(stored);

      const beforeRewrite = await prices.bars('NFLX');

      // The provider's whole history halved (a rewrite), but its first 20 days gone.
      writeCsv(dir, 'NFLX', header, yahoo(rows.slice(20), 0.5));
      const second = await ingest(dir, DAY_BEFORE);
      expect(second.tickers[0]).toMatchObject({ status: 'failed' });
      const shorter = (await repo.readjustments({ status: 'quarantined' })).find((r) => r.id !== single.id)!;
      expect(shorter.quarantineReason).toBe(
        `the provider served ${beforeRewrite.length - 20} of the ${beforeRewrite.length} stored days (first missing ${rows[0][0]}): the rest would be left on the old adjustment basis`,
      );
      // The stored history is as it was, values and all: none of the provider's halved days (07-13, 07-14) beside it.
      expect(await prices.bars('NFLX')).toEqual(beforeRewrite);
      // Reported as quarantined and stale by `algo stack status` until approved.
      const status = await dataFreshness(
        t.db,
        { tickers: ['NFLX'], strategies: config.strategies },
        Date.parse('2015-07-15T12:00:00Z'),
      );
      expect(status.stale).toEqual([{ ticker: 'NFLX', lastDate: '2015-07-10' }]);
      expect(status.quarantined.map((q) => q.id)).toEqual([single.id, shorter.id]);

      // Approve applies the rewrite and its new days together: the provider's halved history throughout.
      await service.approve(shorter.id);
      const halved = yahoo(rows.slice(20), 0.5).filter((r) => r[0] <= DAY_BEFORE);
      expect((await prices.bars('NFLX')).map((b) => [b.date, b.close, b.adjClose])).toEqual(
        halved.map((r) => [r[0], Number(r[4]), Number(r[5])]),
      );
      // Undo puts back exactly what was stored before.
      const [applied] = await repo.readjustments({ status: 'applied' });
      await service.undo(applied.id);
      expect(await prices.bars('NFLX')).toEqual(beforeRewrite);
    });
  });
  it('judges each of two splits in one ingestion on its own: a bogus one quarantines the real one with it', async () => {
    const { header, rows } = rawWindow();
    // A 1-for-7 reverse split on 2015-07-13 that the prices do not show (+4%), then the real 7-for-1:
    // their product is 1, which the closes of 2015-07-13 alone would pass.
    const splitColumn = header.indexOf('split_coefficient');
    const bogus = rows.map((r) =>
      r[0] === '2015-07-13' ? r.map((v, i) => (i === splitColumn ? String(1 / 7) : v)) : r,
    );
    const dir = tempDir('algo-quarantine-two-splits-');
    writeCsv(dir, 'NFLX', header, bogus);

    await withTestWorker(env, config, async () => {
      await ingest(dir, '2015-07-10');
      const stored = await prices.bars('NFLX');
      const result = await ingest(dir, WINDOW.to);

      const [quarantined] = await repo.readjustments({ ticker: 'NFLX' });
      expect(quarantined).toMatchObject({ status: 'quarantined', reason: 'split', rowsChanged: 0 });
      expect(quarantined.quarantineReason).toBe(
        `split factor ${1 / 7} on 2015-07-13 does not match the prices: the close went from 680.6 to 707.61 (0.9618x, expected 0.1429x within 1.5x); the plausible split x7 on 2015-07-15 waits with it`,
      );
      expect(result.tickers[0]).toMatchObject({ ticker: 'NFLX', status: 'failed' });
      // Neither split is applied, and none of the five new days is stored: one basis, as it was.
      expect(await prices.bars('NFLX')).toEqual(stored);
    });
  });
});
