import crypto from 'node:crypto';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { z } from 'zod';
import { backtestSummary, resolveBacktestRequest, type BacktestRequest } from '../../domain/backtest/backtest-record';
import { backtestReportKeys } from '../../domain/object-store';
import type { ApiContext, ZodApp } from '../api-context';
import { backtestWorkflow } from '../../workflows/backtest.workflow';
import { HttpError } from '../errors';
import { isoDateSchema, strategyNameSchema, tickerSchema } from '../schemas';

/**
 * Where a running backtest is, from Temporal's description of the run:
 * `queued` (no worker has taken it yet), `checking` (the request's check),
 * `running` (the engine, chart and report; `step` is the activity's last
 * heartbeat). `waitingForWorker` is true while a task waits on the queue;
 * `attempt` > 1 means a retry, with the previous attempt's `lastError`.
 */
export interface BacktestProgress {
  stage: 'queued' | 'checking' | 'running';
  step: string | null;
  attempt: number;
  waitingForWorker: boolean;
  lastError: string | null;
  /** A rough share done, 0 to 100, for a progress bar. */
  percent: number;
}

/** How a backtest run stands in Temporal; null when there is no such workflow. */
export type BacktestRunStatus = { status: 'running'; progress?: BacktestProgress } | { status: 'completed' } | { status: 'failed'; error: string } | null;

const STEP_PERCENT: Record<string, number> = { engine: 40, chart: 60, report: 80, saving: 90 };

/** {@link BacktestProgress} from a DescribeWorkflowExecution response (pure; exported for tests). */
export function backtestProgressOf(raw: {
  pendingActivities?: Array<{ activityType?: { name?: string | null } | null; state?: number | null; attempt?: number | null; lastFailure?: { message?: string | null } | null; heartbeatDetails?: unknown }> | null;
  pendingWorkflowTask?: { state?: number | null } | null;
}, heartbeatStep: (details: unknown) => string | null = () => null): BacktestProgress {
  const activity = raw.pendingActivities?.[0];
  if (!activity) {
    // Before the first activity (or between the two): a workflow task waits for, or runs on, a worker.
    const waiting = raw.pendingWorkflowTask?.state === 1;
    return { stage: 'queued', step: null, attempt: 1, waitingForWorker: waiting, lastError: null, percent: waiting ? 0 : 5 };
  }
  const name = activity.activityType?.name ?? '';
  const stage = name === 'checkBacktest' ? 'checking' : 'running';
  const waiting = activity.state === 1;
  const step = stage === 'running' ? heartbeatStep(activity.heartbeatDetails) : null;
  const percent = stage === 'checking' ? 10 : waiting ? 20 : (STEP_PERCENT[step ?? ''] ?? 30);
  return {
    stage, step, attempt: activity.attempt ?? 1, waitingForWorker: waiting,
    lastError: activity.lastFailure?.message ? String(activity.lastFailure.message).split('\n')[0].slice(0, 300) : null, percent,
  };
}

/** Starts backtest workflows and tells how they stand (over a Temporal client in production). */
export interface BacktestRuns {
  /** Start `backtestWorkflow` with workflow id `id`; does not wait. */
  start(id: string, request: BacktestRequest): Promise<{ workflowId: string; runId: string }>;
  /** The run's status; a failed run carries its failure's innermost message; null when there is no backtest workflow `id`. */
  status(id: string): Promise<BacktestRunStatus>;
}

const DEADLINE_MS = 5_000;

/** The innermost message of a Temporal failure chain (the activity's own error). */
function innermostMessage(err: unknown): string {
  let current = err as { message?: string; cause?: unknown } | undefined;
  while (current && typeof current === 'object' && current.cause instanceof Error) current = current.cause as typeof current;
  return String(current?.message ?? err).split('\n')[0];
}

/** {@link BacktestRuns} over a Temporal client; an unreachable server becomes a 503. */
export function temporalBacktestRuns(client: Client, taskQueue: string): BacktestRuns {
  const unavailable = (err: unknown) => Object.assign(new HttpError(503, 'unavailable', 'cannot reach the workflow service; try again later'), { cause: err });
  return {
    async start(id, request) {
      try {
        // An HTTP client should not wait for gRPC's own retries against a server that is down.
        const handle = await client.withDeadline(Date.now() + DEADLINE_MS, () =>
          client.workflow.start(backtestWorkflow, { taskQueue, workflowId: id, args: [request] }),
        );
        return { workflowId: handle.workflowId, runId: handle.firstExecutionRunId };
      } catch (err) {
        if ((err as Error)?.name === 'WorkflowExecutionAlreadyStartedError') throw new HttpError(409, 'conflict', `backtest ${id} already exists`);
        throw unavailable(err);
      }
    },
    async status(id) {
      const handle = client.workflow.getHandle(id);
      let name: string;
      let description: Awaited<ReturnType<typeof handle.describe>>;
      try {
        description = await client.withDeadline(Date.now() + DEADLINE_MS, () => handle.describe());
        name = description.status.name;
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return null;
        throw unavailable(err);
      }
      // Only backtests: any other workflow id (a daily run, a fan-out) is no backtest, so 404.
      if (description.type !== backtestWorkflow.name) return null;
      if (name === 'RUNNING' || name === 'CONTINUED_AS_NEW') {
        const step = (details: unknown) => {
          const payload = (details as { payloads?: Payload[] } | null)?.payloads?.[0];
          if (!payload) return null;
          try {
            const value = defaultPayloadConverter.fromPayload<unknown>(payload);
            return typeof value === 'string' ? value.slice(0, 40) : null;
          } catch {
            return null;
          }
        };
        return { status: 'running', progress: backtestProgressOf(description.raw, step) };
      }
      if (name === 'COMPLETED') return { status: 'completed' };
      const error = await handle.result().then(
        () => `backtest ${name.toLowerCase()}`,
        (err: unknown) => innermostMessage(err),
      );
      return { status: 'failed', error };
    },
  };
}

/** POST /backtests: the CLI's options as JSON. */
export const backtestBody = z.strictObject({
  ticker: tickerSchema,
  strategy: strategyNameSchema.describe('Strategy name, e.g. sma_cross'),
  params: z.record(z.string().max(40), z.number()).optional().describe('Parameters over the strategy defaults, e.g. {"fast": 10}'),
  from: isoDateSchema.optional().describe('First day (default: the first stored day)'),
  to: isoDateSchema.optional().describe('Last day (default: the last stored day)'),
  capital: z.number().positive().max(1e12).optional().describe('Starting capital (default 1000)'),
  feesBps: z.number().min(0).max(10_000).optional().describe('Commission in basis points of each fill (default 0)'),
  commissionPerTrade: z.number().min(0).max(1e9).optional().describe('Fixed commission per fill (default 0)'),
  slippageBps: z.number().min(0).lt(10_000).optional().describe('Slippage in basis points (default 0)'),
  wholeShares: z.boolean().optional().describe('Whole shares only (default false: fractional)'),
  execution: z.enum(['close', 'next_open']).optional().describe('Fill at the signal day close (default) or the next open'),
});

const backtestParams = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, 'not a backtest id').describe('Backtest id (its workflow id)'),
});

const backtestQuery = z.strictObject({
  equity: z.enum(['true', 'false']).optional().describe('Include the daily equity curve'),
});

/** Report pages are self-contained: no scripts, inline styles, nothing fetched. */
const REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

/**
 * Ad-hoc backtests. Starting one needs the API key: it occupies the worker,
 * and an open endpoint would let anyone queue unbounded work. Reading a
 * result or its report does not: it is a cheap read of market-data
 * arithmetic under an unguessable id, and a browser opening a report link
 * cannot send an `x-api-key` header.
 */
export function registerBacktestRoutes(app: ZodApp, ctx: ApiContext): void {
  const needs = <T>(dep: T | undefined, what: string): T => {
    if (dep === undefined) throw new HttpError(503, 'unavailable', `backtests are not configured on this server (${what})`);
    return dep;
  };

  app.post(
    '/backtests',
    {
      onRequest: ctx.admin,
      schema: {
        tags: ['backtests'],
        summary: 'Start a backtest (x-api-key): runs backtestWorkflow; poll GET /backtests/{id}',
        security: [{ apiKey: [] }],
        body: backtestBody,
      },
    },
    async (request, reply) => {
      const runs = needs(ctx.deps.backtestRuns, 'workflow client');
      const repository = needs(ctx.deps.backtests, 'repository');
      // Checked here too so that a bad request is a 400/404 now, not a failed run later.
      const checked = await resolveBacktestRequest(request.body, (ticker) => repository.storedRange(ticker));
      const id = `backtest-${checked.ticker}-${checked.strategy}-${crypto.randomUUID().slice(0, 8)}`;
      const started = await runs.start(id, { ...request.body, ticker: checked.ticker });
      return reply.code(202).send({ id, status: 'running', runId: started.runId, links: { self: `/backtests/${id}`, report: `/backtests/${id}/report` } });
    },
  );

  app.get(
    '/backtests/:id',
    {
      schema: {
        tags: ['backtests'],
        summary: 'A backtest: 200 with its result (or its failure), 202 while it runs, 404 unknown',
        params: backtestParams,
        querystring: backtestQuery,
      },
    },
    async (request, reply) => {
      const repository = needs(ctx.deps.backtests, 'repository');
      const { id } = request.params;
      const withEquityCurve = request.query.equity === 'true';
      const completed = async () => {
        const record = await repository.get(id, { withEquityCurve });
        if (!record) return null;
        return {
          status: 'completed' as const,
          ...backtestSummary(record),
          strategyVersion: record.strategyVersion,
          options: record.options,
          fees: record.fees,
          createdAt: record.createdAt,
          reportHref: `/backtests/${id}/report`,
          ...(withEquityCurve ? { equityCurve: record.equityCurve } : {}),
        };
      };
      const stored = await completed();
      if (stored) return stored;
      const run = ctx.deps.backtestRuns ? await ctx.deps.backtestRuns.status(id) : null;
      if (run?.status === 'running') return reply.code(202).send({ id, status: 'running', ...(run.progress ? { progress: run.progress } : {}) });
      if (run?.status === 'failed') return { id, status: 'failed', error: run.error };
      // Completed between the two reads: the row is there now.
      const late = run?.status === 'completed' ? await completed() : null;
      if (late) return late;
      throw new HttpError(404, 'not_found', `no backtest ${id}`);
    },
  );

  app.get(
    '/backtests/:id/report',
    {
      schema: { tags: ['backtests'], summary: "A backtest's HTML report (metrics table and equity chart)", params: backtestParams },
    },
    async (request, reply) => {
      const reports = needs(ctx.deps.reports, 'report store');
      const { id } = request.params;
      const report = await reports.get(backtestReportKeys(id).html);
      if (!report) throw new HttpError(404, 'not_found', `no report for backtest ${id} (unknown, failed or still running)`);
      return reply.code(200).header('content-type', 'text/html; charset=utf-8').header('content-security-policy', REPORT_CSP).send(report.body);
    },
  );
}
