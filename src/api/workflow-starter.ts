import type { Client } from '@temporalio/client';
import { HttpError } from './errors';

/** The workflow types the API starts (written by the workflows module; names must never change). */
export type ApiWorkflowType = 'dailyRunWorkflow' | 'notifyTickerWorkflow';

/** Input of `dailyRunWorkflow` as the API starts it. */
export interface DailyRunRequest {
  /** As-of date, YYYY-MM-DD; the workflow defaults to today. */
  date?: string;
  /** Replace the tracked set for this run. */
  tickers?: string[];
}

/** Input of `notifyTickerWorkflow`: email every subscriber of `ticker` its latest signals (or those of `date`). */
export interface NotifyTickerRequest {
  ticker: string;
  date?: string;
}

/** Starts a workflow and returns its ids without waiting for it. */
export type StartWorkflow = (request: {
  workflowType: ApiWorkflowType;
  workflowId: string;
  input: DailyRunRequest | NotifyTickerRequest;
}) => Promise<{ workflowId: string; runId: string }>;

const START_DEADLINE_MS = 5_000;

/** {@link StartWorkflow} over a Temporal client; an unreachable server becomes a 503. */
export function temporalWorkflowStarter(client: Client, taskQueue: string): StartWorkflow {
  return async ({ workflowType, workflowId, input }) => {
    try {
      // An HTTP client should not wait for gRPC's own retries against a server that is down.
      const handle = await client.withDeadline(Date.now() + START_DEADLINE_MS, () =>
        client.workflow.start(workflowType, { taskQueue, workflowId, args: [input] }),
      );
      return { workflowId: handle.workflowId, runId: handle.firstExecutionRunId };
    } catch (err) {
      if ((err as Error)?.name === 'WorkflowExecutionAlreadyStartedError') {
        throw new HttpError(409, 'conflict', `workflow ${workflowId} is already running`);
      }
      throw Object.assign(new HttpError(503, 'unavailable', 'cannot reach the workflow service; try again later'), { cause: err });
    }
  };
}
