import crypto from 'node:crypto';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import {
  backtestSummary,
  checkBacktestRequestShape,
  resolveBacktestRequest,
  type BacktestRecord,
  type BacktestRequest,
  type BacktestSummary,
  type CheckedBacktestRequest,
} from '../domain/backtest/backtest-record';
import { buyAndHoldCurve } from '../domain/backtest/buy-and-hold';
import type { IsoDate } from '../domain/dates';
import {
  makeRoomForPublicResult,
  publicResultGoneMessage,
  type PlaygroundRetentionPolicy,
  type PlaygroundRetentionPorts,
} from '../domain/backtest/playground-retention';
import { BadInputError, GoneError, NotFoundError, ServiceUnavailableError } from '../domain/errors';
import { backtestReportKeys, type ObjectStore } from '../domain/object-store';
import type { BacktestRepository, PriceRepository } from '../domain/ports';
import { indicatorLines } from '../domain/research/indicator-lines';
import { BarSeries, getStrategy, strategyFromLegacyName } from '../domain/strategies';
import { refuseLookAhead } from '../config/look-ahead-on-load';
import { ruleStrategy } from '../domain/strategies/rules/rule-strategy';
import type { AnyStrategy } from '../domain/strategies/strategy';
import { backtestWorkflow } from '../workflows/backtest.workflow';
import { backtestWorkflowId } from '../workflows/workflow-ids';
import { failureText, PUBLIC_RETRY_MESSAGE } from './public-failure';
import type {
  TemporalGateway,
  TemporalGatewayProvider,
  WorkflowDescription,
  WorkflowStarted,
} from './temporal-gateway';

/**
 * Backtests as the API and the CLI both run them: a request checked by the
 * one domain rule (shape, limits, stored range), started through the Temporal
 * gateway under its workflow id, then read back as the one summary, with its
 * progress while it runs and its HTML report once done.
 */

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

const STEP_PERCENT: Record<string, number> = { engine: 40, chart: 60, report: 80, saving: 90 };

type RawDescription = {
  pendingActivities?: Array<{
    activityType?: { name?: string | null } | null;
    state?: number | null;
    attempt?: number | null;
    lastFailure?: { message?: string | null } | null;
    heartbeatDetails?: unknown;
  }> | null;
  pendingWorkflowTask?: { state?: number | null } | null;
};

/** {@link BacktestProgress} from a DescribeWorkflowExecution response (pure; exported for tests). */
export function backtestProgressOf(
  raw: RawDescription,
  heartbeatStep: (details: unknown) => string | null = () => null,
): BacktestProgress {
  const activity = raw.pendingActivities?.[0];
  if (!activity) {
    // Before the first activity (or between the two): a workflow task waits for, or runs on, a worker.
    const waiting = raw.pendingWorkflowTask?.state === 1;
    return {
      stage: 'queued',
      step: null,
      attempt: 1,
      waitingForWorker: waiting,
      lastError: null,
      percent: waiting ? 0 : 5,
    };
  }
  const name = activity.activityType?.name ?? '';
  const stage = name === 'checkBacktest' ? 'checking' : 'running';
  const waiting = activity.state === 1;
  const step = stage === 'running' ? heartbeatStep(activity.heartbeatDetails) : null;
  const percent = stage === 'checking' ? 10 : waiting ? 20 : (STEP_PERCENT[step ?? ''] ?? 30);
  const lastError = activity.lastFailure?.message
    ? String(activity.lastFailure.message).split('\n')[0].slice(0, 300)
    : null;
  return { stage, step, attempt: activity.attempt ?? 1, waitingForWorker: waiting, lastError, percent };
}

/** The step a backtest activity heartbeated (`engine`, `chart`, ...), from its heartbeat payload. */
function heartbeatStep(details: unknown): string | null {
  const payload = (details as { payloads?: Payload[] } | null)?.payloads?.[0];
  if (!payload) return null;
  try {
    const value = defaultPayloadConverter.fromPayload<unknown>(payload);
    return typeof value === 'string' ? value.slice(0, 40) : null;
  } catch {
    return null;
  }
}

const progressOf = (description: WorkflowDescription) =>
  backtestProgressOf(description.raw as RawDescription, heartbeatStep);

/** A completed backtest: the one summary with what is stored behind it. */
export type CompletedBacktest = BacktestSummary &
  Pick<BacktestRecord, 'strategyVersion' | 'options' | 'fees' | 'createdAt'> & {
    status: 'completed';
    reportHref: string;
    equityCurve?: BacktestRecord['equityCurve'];
  };

/** How a backtest stands: completed with its summary, running with its progress, or failed with the reason. */
export type BacktestState =
  | CompletedBacktest
  | { id: string; status: 'running'; progress: BacktestProgress }
  | { id: string; status: 'failed'; error: string };

/** A started backtest, as both doors answer it. */
export interface StartedBacktest extends WorkflowStarted {
  id: string;
}

export interface BacktestsServiceDeps {
  /** Stored results and stored date ranges. */
  backtests?: Pick<BacktestRepository, 'get' | 'storedRange'>;
  /** Where the reports are stored. */
  reports?: Pick<ObjectStore, 'get'>;
  /** Bars of a backtest's window, for its chart. */
  prices?: Pick<PriceRepository, 'bars'>;
  /** How to reach Temporal (absent: runs are not known here). */
  temporal?: TemporalGatewayProvider;
  /** The unique part of a new backtest's id (default: 32 hex digits, 128 random bits). */
  unique?: () => string;
  /**
   * The public playground's results: a public start is recorded (after making
   * room under `policy.maxStoredResults`), and a deleted one's reads answer
   * {@link GoneError}. Absent: public starts are not recorded.
   */
  playground?: PlaygroundRetentionPorts & { policy: PlaygroundRetentionPolicy };
  /** The clock of public starts (default: the system's). */
  now?: () => Date;
}

/** The old backtester's request (`POST /backtest`): its field names, its `max`. */
export interface OldBacktestRequest {
  ticker: string;
  /** Old name (SMACross) or ours (sma_cross). */
  strategy: string;
  /** `max` (the first stored day, the default) or a trading day (anything else is a {@link BadInputError}). */
  start_date?: 'max' | IsoDate;
  /** Last day (default: the last stored day). */
  end_date?: IsoDate;
  /** Starting capital (default 1000). */
  starting_capital?: number;
}

/** The old backtester's answer body: `cap_gains` the percent gain (2 places), `num_trades` each BUY and each SELL. */
export interface OldBacktestAnswer {
  ticker: string;
  start_date: IsoDate;
  end_date: IsoDate;
  init_cap: number;
  final_cap: number;
  cap_gains: number;
  num_trades: number;
}

/** A completed backtest in a chart's shape: the summary, equity against buy-and-hold, the bars, the fills, the indicator lines. */
export interface BacktestChart extends Omit<BacktestSummary, 'trades'> {
  fees: number;
  options: BacktestRecord['options'];
  equity: Array<{ time: IsoDate; value: number }>;
  /** The same capital bought on the first day and held. */
  buyAndHold: Array<{ time: IsoDate; value: number }>;
  bars: Array<{ time: IsoDate; open: number; high: number; low: number; close: number }>;
  /** Every fill as a chart marker; `initial`: the first-day purchase of a strategy that starts open (not an order). */
  trades: Array<{ time: IsoDate; side: 'BUY' | 'SELL'; price: number; shares: number; fee: number; initial: boolean }>;
  overlays: Array<{ key: string; label: string; points: Array<{ time: IsoDate; value: number | null }> }>;
  rules: string;
  /** The inline rule as written, for a backtest of an unsaved rule. */
  rule?: unknown;
  reportHref: string;
}

/** A stored backtest's strategy: its inline rule compiled, else the registered one; null when neither is there now. */
function strategyOfRecord(record: Pick<BacktestRecord, 'strategy' | 'rule'>): AnyStrategy | null {
  try {
    return record.rule === undefined ? getStrategy(record.strategy) : ruleStrategy(record.rule);
  } catch {
    return null;
  }
}

/** The rule in words with these parameters ('' for a strategy no longer registered). */
function ruleInWords(record: Pick<BacktestRecord, 'strategy' | 'rule' | 'params'>): string {
  try {
    const strategy = strategyOfRecord(record);
    return strategy ? strategy.rules(strategy.parseParams(record.params)) : '';
  } catch {
    return '';
  }
}

/** `fn()`, a BadInputError without a field of its own attributed to the inline `rule`. */
function withRuleField(fn: () => void): void {
  try {
    fn();
  } catch (err) {
    if (err instanceof BadInputError && !err.field) throw new BadInputError(err.message, { field: 'rule' });
    throw err;
  }
}

/** The report's link as the API serves it. */
export const backtestReportHref = (id: string): string => `/backtests/${id}/report`;

export class BacktestsService {
  constructor(private readonly deps: BacktestsServiceDeps) {}

  private need<T>(dep: T | undefined, what: string): T {
    if (dep === undefined) throw new ServiceUnavailableError(`backtests are not configured on this server (${what})`);
    return dep;
  }

  private async gateway(): Promise<TemporalGateway> {
    const gateway = this.need(this.deps.temporal, 'workflow client');
    return gateway();
  }

  /**
   * The request checked by the one rule ({@link checkBacktestRequestShape},
   * then {@link resolveBacktestRequest} against the stored range): a bad
   * request fails here, with the same message at every door, not later in a run.
   */
  async check(request: BacktestRequest): Promise<CheckedBacktestRequest> {
    const shaped = checkBacktestRequestShape(request);
    // An unsaved rule passes the same look-ahead gate as a saved one before anything runs.
    if (shaped.inlineRule) withRuleField(() => refuseLookAhead(shaped.inlineRule!));
    const repository = this.need(this.deps.backtests, 'repository');
    return resolveBacktestRequest(request, (ticker) => repository.storedRange(ticker));
  }

  /** A new backtest's id (its workflow id). */
  private newId(checked: Pick<CheckedBacktestRequest, 'ticker' | 'strategy'>): string {
    return backtestWorkflowId(
      checked.ticker,
      checked.strategy,
      // 128 random bits: the id is the only guard of a result's public reads.
      this.deps.unique?.() ?? crypto.randomBytes(16).toString('hex'),
    );
  }

  /**
   * Check and start a backtest without waiting. `beforeStart` runs once the
   * request passed (the playground's rate limit: a form's mistakes use up nothing).
   * A `public` one (the playground's) is recorded as such: it expires after
   * `playground.retentionDays`, and the oldest public ones beyond
   * `playground.maxStoredResults` are deleted first to make room for it.
   */
  async start(
    request: BacktestRequest,
    beforeStart?: () => Promise<void>,
    options: { public?: boolean } = {},
  ): Promise<StartedBacktest> {
    const checked = await this.check(request);
    await beforeStart?.();
    const gateway = await this.gateway();
    const id = this.newId(checked);
    const playground = this.deps.playground;
    if (options.public && playground) {
      const at = this.deps.now?.() ?? new Date();
      await makeRoomForPublicResult(playground, playground.policy, at);
      await playground.publicBacktests.add(id, at);
    }
    const started = await gateway.start(backtestWorkflow, id, { ...request, ticker: checked.ticker });
    return { id, ...started };
  }

  /** Check, start and wait for a backtest: its summary (the CLI). */
  async run(request: BacktestRequest, onStarted?: (started: StartedBacktest) => void): Promise<BacktestSummary> {
    const checked = await this.check(request);
    const gateway = await this.gateway();
    const id = this.newId(checked);
    return gateway.execute(backtestWorkflow, id, [{ ...request, ticker: checked.ticker }], (started) =>
      onStarted?.({ id, ...started }),
    );
  }

  /**
   * The old backtester (`POST /backtest`): the same checked request and the same
   * engine (a backtest run and stored like any other), answered in its shape.
   * As there, a start date that is not a stored trading day of the ticker is an error.
   */
  async runOldBacktester(request: OldBacktestRequest): Promise<OldBacktestAnswer> {
    const from = request.start_date === undefined || request.start_date === 'max' ? undefined : request.start_date;
    const backtest: BacktestRequest = {
      ticker: request.ticker,
      strategy: strategyFromLegacyName(request.strategy),
      ...(from ? { from } : {}),
      ...(request.end_date ? { to: request.end_date } : {}),
      ...(request.starting_capital !== undefined ? { capital: request.starting_capital } : {}),
    };
    const checked = await this.check(backtest).catch((err: unknown) => {
      // The old field names in the message's field.
      if (err instanceof BadInputError && err.field) {
        const old: Record<string, string> = { from: 'start_date', to: 'end_date', capital: 'starting_capital' };
        const field = old[err.field] ?? err.field;
        throw new BadInputError(
          err.message.replace(/^(from|to|capital)\b/, (name) => old[name]),
          { field },
        );
      }
      throw err;
    });
    if (from) {
      const day = await this.need(this.deps.prices, 'prices').bars(checked.ticker, { from, to: from });
      if (day.length === 0)
        throw new BadInputError(`start_date ${from} is not a trading day of ${checked.ticker} in the stored data`, {
          field: 'start_date',
        });
    }
    const summary = await this.run(backtest);
    return {
      ticker: summary.ticker,
      start_date: summary.startDate,
      end_date: summary.endDate,
      init_cap: summary.initialCapital,
      final_cap: summary.finalCapital,
      cap_gains: summary.returnPct,
      num_trades: summary.orders,
    };
  }

  /** {@link GoneError} saying why, when `id` is a public result that was deleted (expired, or to make room). */
  private async refuseDeleted(id: string): Promise<void> {
    const playground = this.deps.playground;
    const deletion = playground ? await playground.publicBacktests.deletion(id) : null;
    if (playground && deletion) throw new GoneError(publicResultGoneMessage(id, deletion, playground.policy));
  }

  /** A stored backtest as the one summary with what is stored behind it; null when none is stored under `id`. */
  async completed(id: string, options: { withEquityCurve?: boolean } = {}): Promise<CompletedBacktest | null> {
    const record = await this.need(this.deps.backtests, 'repository').get(id, options);
    if (!record) return null;
    return {
      status: 'completed',
      ...backtestSummary(record),
      // The report's link, never where the server stores it (a path of its disk, a bucket URL).
      report: backtestReportHref(id),
      strategyVersion: record.strategyVersion,
      options: record.options,
      fees: record.fees,
      createdAt: record.createdAt,
      reportHref: backtestReportHref(id),
      ...(options.withEquityCurve ? { equityCurve: record.equityCurve } : {}),
    };
  }

  /**
   * How backtest `id` stands: stored, else as Temporal tells it; {@link NotFoundError} when neither knows it.
   * Without `detail` (a public answer) a failure is told by {@link publicFailureMessage}, not its own text.
   */
  async state(id: string, options: { withEquityCurve?: boolean; detail?: boolean } = {}): Promise<BacktestState> {
    const stored = await this.completed(id, options);
    if (stored) return stored;
    await this.refuseDeleted(id);
    const run = this.deps.temporal ? await (await this.gateway()).status(backtestWorkflow, id) : null;
    if (run?.status === 'running') {
      const progress = progressOf(run.description);
      if (!options.detail && progress.lastError !== null) progress.lastError = PUBLIC_RETRY_MESSAGE;
      return { id, status: 'running', progress };
    }
    if (run?.status === 'failed')
      return { id, status: 'failed', error: failureText(run, 'backtest', id, options.detail) };
    // Completed between the two reads: the row is there now.
    const late = run?.status === 'completed' ? await this.completed(id, options) : null;
    if (late) return late;
    throw new NotFoundError(`no backtest ${id}`);
  }

  /** A stored backtest's record with its equity curve (the chart); {@link NotFoundError} while unknown, failed or running. */
  async record(id: string): Promise<BacktestRecord> {
    const record = await this.need(this.deps.backtests, 'repository').get(id, { withEquityCurve: true });
    if (!record) {
      await this.refuseDeleted(id);
      throw new NotFoundError(
        `no completed backtest ${id} (unknown, failed or still running: see GET /backtests/{id})`,
      );
    }
    return record;
  }

  /** The HTML report of backtest `id`; {@link NotFoundError} while there is none. */
  async report(id: string): Promise<string | Uint8Array> {
    const report = await this.need(this.deps.reports, 'report store').get(backtestReportKeys(id).html);
    if (!report) {
      await this.refuseDeleted(id);
      throw new NotFoundError(`no report for backtest ${id} (unknown, failed or still running)`);
    }
    return report.body;
  }

  /** A completed backtest in a chart's shape ({@link BacktestChart}); {@link NotFoundError} while there is none. */
  async chart(id: string): Promise<BacktestChart> {
    const record = await this.record(id);
    const { dates, equity, close } = record.equityCurve;
    // The whole history up to the window's end: the indicators need the days before it.
    const history = await this.need(this.deps.prices, 'prices').bars(record.ticker, { to: record.endDate });
    const series = BarSeries.from(history);
    const start = series.indexOnOrAfter(record.startDate);
    const holding = buyAndHoldCurve(record.initialCapital, close);
    const fills = [
      ...(record.initialPosition ? [{ ...record.initialPosition, initial: true }] : []),
      ...record.trades.map((t) => ({ ...t, initial: false })),
    ];
    let overlays: BacktestChart['overlays'] = [];
    try {
      const strategy = strategyOfRecord(record);
      if (!strategy) throw new Error(`strategy ${record.strategy} is not registered`);
      const params = strategy.parseParams(record.params);
      const lines = indicatorLines(series, strategy, params, start, history.length - 1);
      overlays = strategy
        .chart(params)
        .overlays.filter((line) => lines[line.key])
        .map((line) => ({
          key: line.key,
          label: line.label,
          points: lines[line.key].map((value, i) => ({ time: history[start + i].date, value })),
        }));
    } catch {
      // A strategy no longer registered: the chart without its lines.
    }
    return {
      ...backtestSummary(record),
      report: backtestReportHref(record.id),
      fees: record.fees,
      options: record.options,
      equity: dates.map((time, i) => ({ time, value: equity[i] })),
      buyAndHold: dates.map((time, i) => ({ time, value: holding[i] })),
      bars: history.slice(start).map((b) => ({ time: b.date, open: b.open, high: b.high, low: b.low, close: b.close })),
      trades: fills.map((t) => ({
        time: t.date,
        side: t.side,
        price: t.price,
        shares: t.shares,
        fee: t.fee,
        initial: t.initial,
      })),
      overlays,
      rules: ruleInWords(record),
      ...(record.rule === undefined ? {} : { rule: record.rule }),
      reportHref: backtestReportHref(record.id),
    };
  }
}
