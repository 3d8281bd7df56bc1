import crypto from 'node:crypto';
import { rebuildStrategyStates, type StrategyStatePorts } from '../domain/strategy-states';
import type { IsoDate } from '../domain/dates';
import { validateDailyRunRequest, type DailyRunRequest } from '../domain/daily-run-request';
import { BadInputError, NotFoundError, ServiceUnavailableError } from '../domain/errors';
import type { DailyRunHistory, DailyRunSummary, ResearchRepository } from '../domain/research/ports';
import { dailyRunWorkflow, type DailyRunInput, type DailyRunResult } from '../workflows/daily-run.workflow';
import { dailyRunWorkflowId } from '../workflows/workflow-ids';
import type { TemporalGateway, WorkflowStarted } from './temporal-gateway';
import { dailyRunHeadline, recordedSignals } from './daily-run-headline';

/** A check of a Temporal page token inside our cursor (integrity, not secrecy: GET /runs is an admin read). */
const checkOf = (token: string): string => crypto.createHash('sha256').update(token).digest('base64url').slice(0, 16);

/** The cursor of GET /runs: Temporal's page token and its check. */
const cursorOf = (token: string): string => `${token}.${checkOf(token)}`;

/** The page token inside a cursor made by {@link cursorOf}; null for anything else. */
function pageTokenOf(cursor: string): string | null {
  const dot = cursor.lastIndexOf('.');
  if (dot <= 0) return null;
  const token = cursor.slice(0, dot);
  return checkOf(token) === cursor.slice(dot + 1) ? token : null;
}

/** What {@link DailyRunsService} needs; the optional parts are only needed by the use cases that read them. */
export interface DailyRunsDependencies {
  /** The Temporal gateway (the CLI connects on first use; the API fails with 503 without one). */
  temporal(): Promise<TemporalGateway>;
  /** Today on the exchange's clock: the date of a run started without one. */
  today(): IsoDate;
  /** Recent daily runs (GET /runs). */
  history?: DailyRunHistory;
  /** The run's page in the Temporal Web UI (GET /runs). */
  workflowUrl?(workflowId: string, runId: string): string;
  /** Email deliveries per date and stale tickers of old results (GET /runs). */
  research?: Pick<ResearchRepository, 'dailyDeliveries' | 'staleTickers'>;
  /** Strategy states and what they are rebuilt from (`algo state rebuild`). */
  strategyStates?(): StrategyStatePorts & { trackedTickers(): Promise<string[]> };
}

/** A daily run as GET /runs lists it. */
export interface DailyRunListItem {
  workflowId: string;
  runId: string;
  status: DailyRunSummary['status'];
  startTime: DailyRunSummary['startTime'];
  closeTime: DailyRunSummary['closeTime'];
  temporalUrl: string;
  date: string | null;
  tradingDay: boolean | null;
  closure: string | null;
  failure: string | null;
  /** What happened, in one line ({@link dailyRunHeadline}); null while running or failed. */
  headline: string | null;
  signals: { recorded: number; new: number | null; buy: number; sell: number } | null;
  alreadyRecordedBy: NonNullable<DailyRunResult['alreadyRecordedBy']> | null;
  notifications: DailyRunResult['notifications'] | null;
  /** Daily-digest deliveries of the date in Postgres (every run of the date). */
  deliveries: DailyDeliveries | null;
  tickers: Array<{ ticker: string; ingestion: string; evaluation: string; error?: string }>;
  stale: Array<{ ticker: string; lastDate: string | null }>;
}

type DailyDeliveries = { sent: number; failed: number; claimed: number };

/** The parts of a daily run's result the list reads (older results lack `stale` and `counts`, and list all four kinds in `signals`). */
type StoredRunResult = Partial<DailyRunResult>;

/**
 * Daily runs, the same way from every door: the CLI (`algo run-daily`), the
 * API (`POST /runs/daily`) and the Schedule. A request is checked by the one
 * domain rule, gets its date (today in New York when left out), and is started
 * as `daily-<date>`, a lock per date. Nothing else is filled in here: what the
 * request leaves out (provider, directory, batch sizes) the workflow takes
 * from the worker's configuration through the `runDefaults` activity, as it
 * does for the Schedule's `{}`, so every door gets the same defaults.
 */
export class DailyRunsService {
  constructor(private readonly deps: DailyRunsDependencies) {}

  /** The workflow id and input `request` runs as: validated, dated, tickers de-duplicated, nothing else added. */
  resolve(request: DailyRunRequest): { workflowId: string; input: DailyRunInput } {
    validateDailyRunRequest(request);
    const today = this.deps.today();
    const date = request.date ?? today;
    // A run ingests its date's bar: a date after today has none yet (and 9999-12-31 never will).
    if (date > today)
      throw new BadInputError(`date ${date} is after today (${today}): no run for it yet`, { field: 'date' });
    const input: DailyRunInput = { date };
    if (request.tickers) input.tickers = [...new Set(request.tickers)];
    if (request.provider !== undefined) input.provider = request.provider;
    if (request.providers !== undefined) input.providers = [...request.providers];
    if (request.csvDir !== undefined) input.csvDir = request.csvDir;
    if (request.batchSize !== undefined) input.batchSize = request.batchSize;
    if (request.emailBatchSize !== undefined) input.emailBatchSize = request.emailBatchSize;
    return { workflowId: dailyRunWorkflowId(date), input };
  }

  /** Start a run without waiting (a run of that date still going is a ConflictError). */
  async start(request: DailyRunRequest): Promise<WorkflowStarted> {
    const { workflowId, input } = this.resolve(request);
    return (await this.deps.temporal()).start(dailyRunWorkflow, workflowId, input);
  }

  /** Start a run, tell `onStarted` (its id and Web UI link), and wait for its result. */
  async run(request: DailyRunRequest, onStarted?: (started: WorkflowStarted) => void): Promise<DailyRunResult> {
    const { workflowId, input } = this.resolve(request);
    return (await this.deps.temporal()).execute(dailyRunWorkflow, workflowId, [input], onStarted);
  }

  /** A page of recent runs, newest first, with their counts, stale tickers and deliveries. */
  async list(page: {
    limit: number;
    cursor?: string;
  }): Promise<{ items: DailyRunListItem[]; nextCursor: string | null }> {
    const { history, research } = this.deps;
    if (!history) throw new ServiceUnavailableError('the run history (Temporal) is not configured');
    // A cursor not made here is refused at once: Temporal takes seconds to refuse a garbage page token.
    const token = page.cursor === undefined ? undefined : pageTokenOf(page.cursor);
    if (token === null) throw new BadInputError('query.cursor: not a cursor of this list', { field: 'cursor' });
    let listed;
    try {
      listed = await history.list({ limit: page.limit, page: token });
    } catch (err) {
      const message = (err as Error).message ?? '';
      if (page.cursor && /page ?token/i.test(message))
        throw new BadInputError('query.cursor: not a cursor of this list', { field: 'cursor' });
      throw Object.assign(
        new ServiceUnavailableError('Temporal did not answer; is the stack up? (npm run algo -- stack up)'),
        { cause: err },
      );
    }
    const results = listed.runs.map((run) =>
      run.result && typeof run.result === 'object' ? (run.result as StoredRunResult) : null,
    );
    const dates = [...new Set(results.flatMap((r) => (r?.date ? [r.date] : [])))];
    const deliveries = research ? await research.dailyDeliveries(dates) : new Map<string, DailyDeliveries>();
    const items = await Promise.all(listed.runs.map((run, i) => this.listItem(run, results[i], deliveries)));
    return { items, nextCursor: listed.nextPage === null ? null : cursorOf(listed.nextPage) };
  }

  /** One daily run (GET /runs/{workflowId}): its latest run, or `runId`; {@link NotFoundError} when there is none. */
  async get(input: { workflowId: string; runId?: string }): Promise<DailyRunListItem> {
    const { history, research } = this.deps;
    if (!history) throw new ServiceUnavailableError('the run history (Temporal) is not configured');
    const run = await history.get(input);
    if (!run) throw new NotFoundError(`no daily run ${input.workflowId}${input.runId ? ` (run ${input.runId})` : ''}`);
    const result = run.result && typeof run.result === 'object' ? (run.result as StoredRunResult) : null;
    const deliveries = research && result?.date ? await research.dailyDeliveries([result.date]) : new Map();
    return this.listItem(run, result, deliveries);
  }

  private async listItem(
    run: DailyRunSummary,
    result: StoredRunResult | null,
    deliveries: Map<string, DailyDeliveries>,
  ): Promise<DailyRunListItem> {
    const { research } = this.deps;
    const tickers = (result?.tickers ?? []).map((t) => ({
      ticker: t.ticker,
      ingestion: t.ingestion,
      evaluation: t.evaluation,
      ...(t.error ? { error: t.error } : {}),
    }));
    let stale: Array<{ ticker: string; lastDate: string | null }> = [];
    if (result?.stale) stale = result.stale.map((s) => ({ ticker: s.ticker, lastDate: s.lastDate ?? null }));
    else if (result?.date && result.tradingDay && research && tickers.length > 0) {
      stale = await research.staleTickers(
        result.date,
        tickers.map((t) => t.ticker),
      );
    }
    return {
      workflowId: run.workflowId,
      runId: run.runId,
      status: run.status,
      startTime: run.startTime,
      closeTime: run.closeTime,
      temporalUrl: this.deps.workflowUrl?.(run.workflowId, run.runId) ?? '',
      date: result?.date ?? null,
      tradingDay: result?.tradingDay ?? null,
      closure: result?.closure ?? null,
      failure: run.failure ?? null,
      headline: result ? dailyRunHeadline(result) : null,
      signals: signalCounts(result),
      alreadyRecordedBy: result?.alreadyRecordedBy ?? null,
      notifications: result?.notifications ?? null,
      deliveries: (result?.date && deliveries.get(result.date)) || null,
      tickers,
      stale,
    };
  }

  /** Recompute every strategy state from the prices and signals in Postgres (Redis holds nothing that cannot be rebuilt). */
  async rebuildStates(): Promise<{ tickers: number; cleared: number; rebuilt: number }> {
    if (!this.deps.strategyStates) throw new ServiceUnavailableError('the strategy state store is not configured');
    const deps = this.deps.strategyStates();
    const tickers = await deps.trackedTickers();
    return { tickers: tickers.length, ...(await rebuildStrategyStates(deps, tickers)) };
  }
}

/** Recorded, new, BUY and SELL signals of a stored result (runs before the bounded-result patch have no counts). */
function signalCounts(result: StoredRunResult | null): DailyRunListItem['signals'] {
  if (!result || (!result.counts && !result.signals)) return null;
  const notified = result.counts ?? {
    BUY: result.signals!.filter((s) => s.signal === 'BUY').length,
    SELL: result.signals!.filter((s) => s.signal === 'SELL').length,
  };
  return {
    recorded: recordedSignals(result),
    new: result.newSignals ?? null,
    buy: notified.BUY,
    sell: notified.SELL,
  };
}
