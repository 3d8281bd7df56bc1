import type { Client } from '@temporalio/client';
import { HttpError } from './errors';
import { dailyRunWorkflow } from '../workflows/daily-run.workflow';
import { notifyTickerWorkflow } from '../workflows/notify-ticker.workflow';

/** The workflows the API starts, by their type name (names must never change: schedules and histories refer to them). */
const API_WORKFLOWS = { dailyRunWorkflow, notifyTickerWorkflow } as const;

export type ApiWorkflowType = keyof typeof API_WORKFLOWS;

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
        client.workflow.start(API_WORKFLOWS[workflowType] as (input: DailyRunRequest | NotifyTickerRequest) => Promise<unknown>, { taskQueue, workflowId, args: [input] }),
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
