import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { DailyRunHistory, DailyRunSummary } from '../../domain/research/ports';

/** Temporal's WorkflowExecutionStatus codes, by number (temporal.api.enums.v1, a stable wire enum). */
export const WORKFLOW_STATUS = [
  'UNSPECIFIED',
  'RUNNING',
  'COMPLETED',
  'FAILED',
  'CANCELED',
  'TERMINATED',
  'CONTINUED_AS_NEW',
  'TIMED_OUT',
];

export type Timestamp = { seconds?: { toNumber(): number } | number | null; nanos?: number | null } | null | undefined;

export const isoOf = (ts: Timestamp): string | null => {
  if (!ts?.seconds) return null;
  const seconds = typeof ts.seconds === 'number' ? ts.seconds : ts.seconds.toNumber();
  return new Date(seconds * 1000 + Math.floor((ts.nanos ?? 0) / 1e6)).toISOString();
};

/**
 * Daily runs from Temporal's visibility store, newest first: every execution
 * of `dailyRunWorkflow` (scheduled, CLI, API), with the result of each
 * completed one read from its history. Pages follow Temporal's own page token.
 */
export class TemporalDailyRunHistory implements DailyRunHistory {
  constructor(
    private readonly client: Client,
    private readonly namespace: string,
  ) {}

  async list(input: { limit: number; page?: string }): Promise<{ runs: DailyRunSummary[]; nextPage: string | null }> {
    const response = await this.client.workflowService.listWorkflowExecutions({
      namespace: this.namespace,
      pageSize: input.limit,
      query: "WorkflowType = 'dailyRunWorkflow'",
      nextPageToken: input.page ? Buffer.from(input.page, 'base64url') : undefined,
    });
    const runs = await Promise.all(
      (response.executions ?? []).slice(0, input.limit).map(async (e): Promise<DailyRunSummary> => {
        const workflowId = e.execution?.workflowId ?? '';
        const runId = e.execution?.runId ?? '';
        const status = WORKFLOW_STATUS[Number(e.status ?? 0)] ?? 'UNKNOWN';
        return this.summary(workflowId, runId, status, isoOf(e.startTime), isoOf(e.closeTime));
      }),
    );
    const token = response.nextPageToken;
    return { runs, nextPage: token && token.length > 0 ? Buffer.from(token).toString('base64url') : null };
  }

  async get(input: { workflowId: string; runId?: string }): Promise<DailyRunSummary | null> {
    let described;
    try {
      described = await this.client.workflow.getHandle(input.workflowId, input.runId).describe();
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return null;
      throw err;
    }
    if (described.type !== 'dailyRunWorkflow') return null;
    const start = described.startTime.toISOString();
    const close = described.closeTime ? described.closeTime.toISOString() : null;
    return this.summary(described.workflowId, described.runId, described.status.name, start, close);
  }

  /** A run as listed, with the result of a completed one (or the failure of a failed one) read from its history. */
  private async summary(
    workflowId: string,
    runId: string,
    status: string,
    startTime: string | null,
    closeTime: string | null,
  ): Promise<DailyRunSummary> {
    const summary: DailyRunSummary = { workflowId, runId, status, startTime, closeTime, result: null };
    if (status === 'COMPLETED' || status === 'FAILED') {
      try {
        summary.result = await this.client.workflow.getHandle(workflowId, runId, { followRuns: false }).result();
      } catch (err) {
        const cause = (err as { cause?: { message?: string } }).cause;
        summary.failure = (cause?.message ?? (err as Error).message).slice(0, 500);
      }
    }
    return summary;
  }
}
