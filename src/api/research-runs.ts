import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { recommendWorkflow, type RecommendInput, type RecommendResult } from '../workflows/recommend.workflow';
import { sweepWorkflow, type SweepInput, type SweepResult } from '../workflows/sweep.workflow';
import { HttpError } from './errors';

/** How a sweep or recommendation run stands in Temporal; null when there is no such run of that kind. */
export type ResearchRunStatus<R> = { status: 'running' } | { status: 'completed'; result: R } | { status: 'failed'; error: string } | null;

/** Starts sweeps and recommendation runs, as `algo sweep` and `algo recommend` do, and tells how they stand. */
export interface ResearchRuns {
  startSweep(id: string, input: SweepInput): Promise<{ workflowId: string; runId: string }>;
  sweepStatus(id: string): Promise<ResearchRunStatus<SweepResult>>;
  startRecommend(id: string, input: RecommendInput): Promise<{ workflowId: string; runId: string }>;
  recommendStatus(id: string): Promise<ResearchRunStatus<RecommendResult>>;
}

const DEADLINE_MS = 5_000;

/** The innermost message of a Temporal failure chain (the activity's own error). */
function innermostMessage(err: unknown): string {
  let current = err as { message?: string; cause?: unknown } | undefined;
  while (current && typeof current === 'object' && current.cause instanceof Error) current = current.cause as typeof current;
  return String(current?.message ?? err).split('\n')[0];
}

/** {@link ResearchRuns} over a Temporal client; an unreachable server becomes a 503. */
export function temporalResearchRuns(client: Client, taskQueue: string): ResearchRuns {
  const unavailable = (err: unknown) => Object.assign(new HttpError(503, 'unavailable', 'cannot reach the workflow service; try again later'), { cause: err });

  async function start<I>(workflow: (input: I) => Promise<unknown>, id: string, input: I) {
    try {
      // An HTTP client should not wait for gRPC's own retries against a server that is down.
      const handle = await client.withDeadline(Date.now() + DEADLINE_MS, () => client.workflow.start(workflow, { taskQueue, workflowId: id, args: [input] }));
      return { workflowId: handle.workflowId, runId: handle.firstExecutionRunId };
    } catch (err) {
      if ((err as Error)?.name === 'WorkflowExecutionAlreadyStartedError') throw new HttpError(409, 'conflict', `run ${id} already exists`);
      throw unavailable(err);
    }
  }

  async function status<I, R>(workflow: (input: I) => Promise<R>, id: string): Promise<ResearchRunStatus<R>> {
    const handle = client.workflow.getHandle<typeof workflow>(id);
    let description;
    try {
      description = await client.withDeadline(Date.now() + DEADLINE_MS, () => handle.describe());
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return null;
      throw unavailable(err);
    }
    // Only runs of this kind: any other workflow's id is unknown here.
    if (description.type !== workflow.name) return null;
    const name = description.status.name;
    if (name === 'RUNNING' || name === 'CONTINUED_AS_NEW') return { status: 'running' };
    return handle.result().then(
      (result) => ({ status: 'completed' as const, result: result as R }),
      (err: unknown) => ({ status: 'failed' as const, error: name === 'FAILED' ? innermostMessage(err) : `run ${name.toLowerCase()}` }),
    );
  }

  return {
    startSweep: (id, input) => start(sweepWorkflow, id, input),
    sweepStatus: (id) => status(sweepWorkflow, id),
    startRecommend: (id, input) => start(recommendWorkflow, id, input),
    recommendStatus: (id) => status(recommendWorkflow, id),
  };
}
