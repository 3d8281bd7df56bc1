import {
  WorkflowFailedError,
  WorkflowNotFoundError,
  type Client,
  type WorkflowHandle,
  type WorkflowStartOptions,
} from '@temporalio/client';
import type { Workflow, WorkflowResultType } from '@temporalio/common';
import { temporalWorkflowUrl } from '../adapters/temporal/ui-links';
import type { AppConfig } from '../config/config';
import {
  BadInputError,
  ConfigurationError,
  ConflictError,
  NotFoundError,
  ServiceUnavailableError,
} from '../domain/errors';

/**
 * The one door to Temporal for the API and the CLI: start, await and describe
 * workflows by reference, and turn Temporal's failures into domain errors
 * (which the API answers with an HTTP status and the CLI with an exit code,
 * each in one place: src/api/errors.ts, src/cli/main.ts):
 *
 * - an id already running: {@link ConflictError} (409; one daily run per date);
 * - the server unreachable within the deadline: {@link ServiceUnavailableError} (503);
 * - a workflow that failed on bad input or configuration: the same domain error
 *   with the activity's own message (400 / 503), anything else: its innermost message.
 */
export interface WorkflowStarted {
  workflowId: string;
  runId: string;
  /** The run's page in the Temporal Web UI. */
  url: string;
}

/** How a run of one workflow type stands; null when there is no run of that type with that id. */
export type WorkflowRunStatus<R> =
  | { status: 'running'; description: WorkflowDescription }
  | { status: 'completed'; result: R }
  | {
      status: 'failed';
      error: string;
      /** The request's own fault (a BadInputError or UnknownTickerError): its text is what a 400 would say. */
      inputError: boolean;
    }
  | null;

export type WorkflowDescription = Awaited<ReturnType<WorkflowHandle['describe']>>;

/** The failure types a workflow reports for errors the caller or the operator must fix. */
const DOMAIN_FAILURES: Record<string, (message: string) => Error> = {
  BadInputError: (m) => new BadInputError(m),
  UnknownTickerError: (m) => new BadInputError(m),
  MarketDataError: (m) => new BadInputError(m),
  ConfigurationError: (m) => new ConfigurationError(m),
  MailerConfigurationError: (m) => new ConfigurationError(m),
};

interface FailureLike {
  message?: string;
  type?: string;
  cause?: unknown;
}

/** The innermost failure of a Temporal failure chain (the activity's own error). */
function innermostFailure(err: unknown): FailureLike {
  let current = err as FailureLike;
  while (current && typeof current === 'object' && current.cause instanceof Error)
    current = current.cause as FailureLike;
  return current ?? {};
}

/** The failure types whose message is about the request alone (what a 400 says), never about the server. */
const INPUT_FAILURES = new Set(['BadInputError', 'UnknownTickerError']);

/** True when a workflow failed on its request's own fault (its message is safe to show whoever sent it). */
export function isInputFailure(err: unknown): boolean {
  const type = innermostFailure(err).type;
  return type !== undefined && INPUT_FAILURES.has(type);
}

/** The first line of the innermost failure's message. */
export function innermostMessage(err: unknown): string {
  const failure = innermostFailure(err);
  return String(failure.message ?? err).split('\n')[0];
}

/** A workflow's failure as the domain error its cause names, else an Error with its innermost message. */
export function workflowFailureError(err: unknown): Error {
  const failure = innermostFailure(err);
  const message = innermostMessage(err);
  const domain = failure.type ? DOMAIN_FAILURES[failure.type] : undefined;
  if (domain) return domain(message);
  return Object.assign(new Error(message), { cause: err });
}

/**
 * How a service reaches the gateway: a function, so that a CLI command
 * connects only once its input is checked, and an API without Temporal
 * answers 503 only on the routes that need it.
 */
export type TemporalGatewayProvider = () => Promise<TemporalGateway>;

export interface TemporalGatewayOptions {
  taskQueue: string;
  /** How long a caller waits for the server to accept a start or answer a describe (default 5 s). */
  deadlineMs?: number;
  /** The run's page in the Temporal Web UI. */
  workflowUrl(workflowId: string, runId: string): string;
}

const DEFAULT_DEADLINE_MS = 5_000;

export class TemporalGateway {
  constructor(
    readonly client: Client,
    private readonly options: TemporalGatewayOptions,
  ) {}

  /** The gateway of a configured deployment: its task queue and Web UI (`temporal.uiUrl`, else the dev server's). */
  static fromConfig(client: Client, config: Pick<AppConfig, 'temporal'>): TemporalGateway {
    return new TemporalGateway(client, {
      taskQueue: config.temporal.taskQueue,
      workflowUrl: (workflowId, runId) => temporalWorkflowUrl(config, workflowId, runId),
    });
  }

  /** The run's page in the Temporal Web UI. */
  workflowUrl(workflowId: string, runId: string): string {
    return this.options.workflowUrl(workflowId, runId);
  }

  private get deadline(): number {
    return Date.now() + (this.options.deadlineMs ?? DEFAULT_DEADLINE_MS);
  }

  /** Start `workflow` as `workflowId` without waiting for it. */
  async start<W extends Workflow>(workflow: W, workflowId: string, ...args: Parameters<W>): Promise<WorkflowStarted> {
    try {
      // A caller should not wait for gRPC's own retries against a server that is down.
      const handle = await this.client.withDeadline(this.deadline, () =>
        this.client.workflow.start(workflow, {
          taskQueue: this.options.taskQueue,
          workflowId,
          args,
        } as unknown as WorkflowStartOptions<W>),
      );
      return {
        workflowId,
        runId: handle.firstExecutionRunId,
        url: this.workflowUrl(workflowId, handle.firstExecutionRunId),
      };
    } catch (err) {
      throw this.startFailure(err, workflowId);
    }
  }

  /** Start `workflow` as `workflowId`, tell `onStarted`, and wait for its result (a failure becomes its domain error). */
  async execute<W extends Workflow>(
    workflow: W,
    workflowId: string,
    args: Parameters<W>,
    onStarted?: (started: WorkflowStarted) => void,
  ): Promise<WorkflowResultType<W>> {
    const started = await this.start(workflow, workflowId, ...args);
    onStarted?.(started);
    const handle = this.client.workflow.getHandle<W>(workflowId, started.runId);
    try {
      return await handle.result();
    } catch (err) {
      if (err instanceof WorkflowFailedError) throw workflowFailureError(err);
      throw err;
    }
  }

  /** How the run `workflowId` of `workflow`'s type stands; null for no such id, or an id of another type. */
  async status<W extends Workflow>(workflow: W, workflowId: string): Promise<WorkflowRunStatus<WorkflowResultType<W>>> {
    const handle = this.client.workflow.getHandle<W>(workflowId);
    let description: WorkflowDescription;
    try {
      description = await this.client.withDeadline(this.deadline, () => handle.describe());
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return null;
      throw this.unavailable(err);
    }
    // Only runs of this kind: any other workflow's id is unknown here.
    if (description.type !== workflow.name) return null;
    const name = description.status.name;
    if (name === 'RUNNING' || name === 'CONTINUED_AS_NEW') return { status: 'running', description };
    return handle.result().then(
      (result) => ({ status: 'completed' as const, result }),
      (err: unknown) => ({
        status: 'failed' as const,
        error: name === 'FAILED' ? innermostMessage(err) : `run ${name.toLowerCase()}`,
        inputError: name === 'FAILED' && isInputFailure(err),
      }),
    );
  }

  /** Like {@link status}, but a missing run is a {@link NotFoundError} naming `what`. */
  async requireStatus<W extends Workflow>(
    workflow: W,
    workflowId: string,
    what: string,
  ): Promise<NonNullable<WorkflowRunStatus<WorkflowResultType<W>>>> {
    const status = await this.status(workflow, workflowId);
    if (!status) throw new NotFoundError(`no ${what} ${workflowId}`);
    return status;
  }

  private startFailure(err: unknown, workflowId: string): Error {
    if ((err as Error)?.name === 'WorkflowExecutionAlreadyStartedError') {
      return new ConflictError(`workflow ${workflowId} is already running`);
    }
    return this.unavailable(err);
  }

  private unavailable(err: unknown): Error {
    return Object.assign(
      new ServiceUnavailableError(
        'cannot reach the workflow service (Temporal); try again later, or start it: npm run algo -- stack up',
      ),
      { cause: err },
    );
  }
}
