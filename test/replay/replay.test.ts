import fs from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { workflowBundle } from '../support/worker';

/*
 * Determinism check: recorded histories of real runs (recorded from the demo
 * with `temporal workflow show --workflow-id daily-2018-02-07 --output json`
 * and `... --workflow-id daily-2018-02-07-ingest`) must replay against the
 * current workflow code. A failure here means a change needs `patched()`
 * versioning; never re-record an old history, add one of the new version.
 * daily-run.json is from before the `emails-as-child-workflow` patch (the
 * fan-out's activities in the run itself); daily-run-emails-child.json and
 * send-notifications.json (`emails-daily-2018-02-07`) from after it.
 * ingest-prices-readjust.json and readjust-ticker.json are from after the
 * `readjust-after-split` patch (NFLX's split day in
 * test/workflows/readjust-after-split.workflow.test.ts: the ingestion starts
 * and waits for the re-adjustment child).
 * daily-run-bounded.json is a run with the `trading-day-activity`,
 * `run-defaults-from-config` and `bounded-run-result` patches, recorded by
 * test/workflows/daily-run-config.test.ts with
 * `RECORD_REPLAY_HISTORY=<file> npx jest --runInBand test/workflows/daily-run-config.test.ts`.
 */
const HISTORIES = path.join(__dirname, 'histories');
/** The workflow id each recording ran under (child workflow ids derive from it). */
const WORKFLOW_IDS: Record<string, string> = {
  'daily-run.json': 'daily-2018-02-07',
  'daily-run-emails-child.json': 'daily-2018-02-07',
  'daily-run-bounded.json': 'daily-2024-01-09',
  'ingest-prices.json': 'daily-2018-02-07-ingest',
  'ingest-prices-readjust.json': 'readjust-test-daily-2015-07-15-4-ingest',
  'readjust-ticker.json': 'readjust-NFLX-split-2015-07-15',
  'send-notifications.json': 'emails-daily-2018-02-07',
};

describe('replay of recorded workflow histories', () => {
  const files = fs.readdirSync(HISTORIES).filter((f) => f.endsWith('.json'));

  it('has recordings of the daily run (before and after the emails-as-child-workflow patch, and with the bounded-result patches), the ingestion (before and after readjust-after-split), the re-adjustment and the fan-out', () => {
    expect(files.sort()).toEqual([
      'daily-run-bounded.json',
      'daily-run-emails-child.json',
      'daily-run.json',
      'ingest-prices-readjust.json',
      'ingest-prices.json',
      'readjust-ticker.json',
      'send-notifications.json',
    ]);
  });

  it.each(files)('%s replays without non-determinism', async (file) => {
    const history = JSON.parse(fs.readFileSync(path.join(HISTORIES, file), 'utf8'));
    await expect(
      Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, WORKFLOW_IDS[file]),
    ).resolves.toBeUndefined();
  });

  it('catches a non-deterministic change', async () => {
    // The same history against a workflow that schedules different commands must fail.
    const history = JSON.parse(fs.readFileSync(path.join(HISTORIES, 'ingest-prices.json'), 'utf8'));
    const started = history.events[0].workflowExecutionStartedEventAttributes;
    started.workflowType.name = 'dailyRunWorkflow';
    await expect(
      Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, 'replay-mismatch'),
    ).rejects.toThrow();
  });
});
