import type { Client } from '@temporalio/client';
import { TemporalGateway } from '../../src/services/temporal-gateway';

/** A workflow start as a {@link recordingGateway} saw it. */
export interface RecordedStart {
  workflowType: string;
  workflowId: string;
  input: unknown;
}

/**
 * A real {@link TemporalGateway} over a client that records each start and
 * answers run id `run-1` (a second start of a recorded id is refused as a
 * running one), for API tests that need no Temporal server.
 */
export function recordingGateway(started: RecordedStart[]): TemporalGateway {
  const client = {
    withDeadline: <R>(_deadline: number, fn: () => Promise<R>) => fn(),
    workflow: {
      async start(workflow: { name: string }, options: { workflowId: string; args: unknown[] }) {
        if (started.some((s) => s.workflowId === options.workflowId)) {
          throw Object.assign(new Error('Workflow execution already started'), {
            name: 'WorkflowExecutionAlreadyStartedError',
          });
        }
        started.push({ workflowType: workflow.name, workflowId: options.workflowId, input: options.args[0] });
        return { workflowId: options.workflowId, firstExecutionRunId: 'run-1' };
      },
    },
  } as unknown as Client;
  return new TemporalGateway(client, {
    taskQueue: 'recorded',
    workflowUrl: (id, runId) => `http://temporal-ui.test/${id}/${runId}`,
  });
}
