import type { Client } from '@temporalio/client';
import type { IsoDate } from '../../domain/dates';
import type { DailyRunLookup, WatchedRun } from '../../domain/monitoring/daily-run-watch';
import { isoOf, WORKFLOW_STATUS } from './temporal-daily-run-history';

/** The innermost message of a failure chain, first line (what the activity itself said). */
function innermostMessage(err: unknown): string {
  let current = err as { message?: string; cause?: unknown } | undefined;
  while (current?.cause instanceof Error) current = current.cause as { message?: string; cause?: unknown };
  return String(current?.message ?? err).split('\n')[0];
}

/**
 * A day's daily runs from Temporal's visibility store. A run for `date` starts
 * on that day or later (the Schedule fires on the day; a run dated after today
 * is refused), so runs that started before the day before are not read.
 */
export class TemporalDailyRunLookup implements DailyRunLookup {
  constructor(
    private readonly client: Client,
    private readonly namespace: string,
    private readonly workflowUrl: (workflowId: string, runId: string) => string,
    /** The date a daily run's workflow id says it is for (src/workflows/workflow-ids.ts), null for none. */
    private readonly dateOfRun: (workflowId: string) => IsoDate | null,
  ) {}

  async runsOfDate(date: IsoDate): Promise<WatchedRun[]> {
    const since = new Date(Date.parse(`${date}T00:00:00Z`) - 86_400_000).toISOString();
    const runs: WatchedRun[] = [];
    let nextPageToken: Uint8Array | undefined;
    do {
      const page = await this.client.workflowService.listWorkflowExecutions({
        namespace: this.namespace,
        pageSize: 200,
        query: `WorkflowType = 'dailyRunWorkflow' AND StartTime >= '${since}'`,
        nextPageToken,
      });
      for (const e of page.executions ?? []) {
        const workflowId = e.execution?.workflowId ?? '';
        if (this.dateOfRun(workflowId) !== date) continue;
        const runId = e.execution?.runId ?? '';
        const status = WORKFLOW_STATUS[Number(e.status ?? 0)] ?? 'UNKNOWN';
        const run: WatchedRun = {
          workflowId,
          runId,
          status,
          startTime: isoOf(e.startTime),
          url: this.workflowUrl(workflowId, runId),
        };
        if (status === 'FAILED') run.failure = await this.failureOf(workflowId, runId);
        else if (status !== 'RUNNING' && status !== 'COMPLETED') run.failure = `run ${status.toLowerCase()}`;
        runs.push(run);
      }
      nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
    } while (nextPageToken);
    // Newest first (SQL visibility stores take no ORDER BY): ISO instants sort as strings.
    return runs.sort((a, b) => (b.startTime ?? '').localeCompare(a.startTime ?? ''));
  }

  private async failureOf(workflowId: string, runId: string): Promise<string> {
    try {
      await this.client.workflow.getHandle(workflowId, runId, { followRuns: false }).result();
      return 'failed';
    } catch (err) {
      return innermostMessage(err).slice(0, 1000);
    }
  }
}
