import crypto from 'node:crypto';
import type { IsoDate } from '../domain/dates';
import { UnknownTickerError } from '../domain/errors';
import { confirmReportedSignal, recordReportedSignal } from '../domain/notifications/reported-signal';
import type { PriceRepository, SignalRepository } from '../domain/ports';
import type { Signal } from '../domain/strategies/strategy';
import { strategyFromLegacyName } from '../domain/strategies';
import { configuredStrategies, type StrategiesConfig } from '../domain/strategies/configured-strategies';
import type { SubscriberRepository } from '../domain/subscriptions';
import {
  notifyTickerWorkflow,
  type NotifyTickerInput,
  type NotifyTickerResult,
} from '../workflows/notify-ticker.workflow';
import { notifyTickerWorkflowId } from '../workflows/workflow-ids';
import type { TemporalGateway, WorkflowStarted } from './temporal-gateway';

export interface NotificationsDependencies {
  /** Tracked tickers and a ticker's subscribers. */
  subscribers: Pick<SubscriberRepository, 'trackedTickers' | 'list'>;
  /** A reported signal checked against the recorded one, or recorded. */
  signals: Pick<SignalRepository, 'list' | 'record'>;
  /** Stored bars, to replay a reported signal not recorded yet (a ConflictError without). */
  prices?: Pick<PriceRepository, 'bars'>;
  config: { tickers: readonly string[]; strategies: StrategiesConfig };
  temporal(): Promise<TemporalGateway>;
}

/**
 * Emailing one ticker's subscribers its BUY/SELL signals of a date, once:
 * `POST /notification/{ticker}/send` and `algo notify`. The old clients'
 * form names the signal the old strategy service gave ({@link ReportedSignalRequest}):
 * it is recorded as reported and sent, whatever our rules give; with `check`,
 * it is sent only if our rules give it.
 */
export interface NotifyRequest {
  ticker: string;
  /** The signals of this date; default: the ticker's latest signal date. */
  date?: IsoDate;
  /** The old clients' way: the signal they report, checked against our rules first. */
  reported?: ReportedSignalRequest;
}

export interface ReportedSignalRequest {
  signal: 'BUY' | 'SELL';
  /** Old name (SMACross) or ours (sma_cross). */
  strategy: string;
  date: IsoDate;
  /** Who reports it (recorded with the signal); default `unknown`. */
  reportedBy?: string;
  /** Send it only if our rules give it (a ConflictError otherwise), instead of taking the reporter's word. */
  check?: boolean;
}

/** What a dry run (`test: true`) of a reported signal answers: whether it was recorded now, and who would be emailed. */
export interface NotifyDryRun {
  test: true;
  ticker: string;
  date: IsoDate;
  strategy: string;
  signal: 'BUY' | 'SELL';
  recorded: boolean;
  /** What our rules give on that date (null without a stored bar); absent in the checked mode, where it is the signal. */
  ours?: Signal | null;
  recipients: string[];
}

export class NotificationsService {
  constructor(private readonly deps: NotificationsDependencies) {}

  /** Check a request without sending: the ticker is tracked and the reported signal is ours; lists the recipients. */
  async dryRun(request: NotifyRequest & { reported: ReportedSignalRequest }): Promise<NotifyDryRun> {
    const { strategy, recorded, ours } = await this.check(request, { dryRun: true });
    const { ticker } = request;
    const { signal, date } = request.reported;
    return {
      test: true,
      ticker,
      date,
      strategy: strategy!,
      signal,
      recorded: recorded!,
      ...(ours !== undefined ? { ours } : {}),
      recipients: await this.recipients(ticker, strategy!),
    };
  }

  /** Check the request, then start the fan-out without waiting. */
  async start(request: NotifyRequest): Promise<WorkflowStarted> {
    await this.check(request);
    const { workflowId, input } = this.workflowOf(request);
    return (await this.deps.temporal()).start(notifyTickerWorkflow, workflowId, input);
  }

  /** Check the request, start the fan-out, tell `onStarted`, and wait for its counts. */
  async send(request: NotifyRequest, onStarted?: (started: WorkflowStarted) => void): Promise<NotifyTickerResult> {
    await this.check(request);
    const { workflowId, input } = this.workflowOf(request);
    return (await this.deps.temporal()).execute(notifyTickerWorkflow, workflowId, [input], onStarted);
  }

  /**
   * The ticker is tracked ({@link UnknownTickerError} otherwise), and a reported signal is recorded
   * (as reported; in the checked mode, only if it is the one our rules give: a ConflictError otherwise).
   */
  private async check(
    request: NotifyRequest,
    options: { dryRun?: boolean } = {},
  ): Promise<{ strategy?: string; recorded?: boolean; ours?: Signal | null }> {
    const { ticker, reported } = request;
    const tracked = await this.deps.subscribers.trackedTickers(this.deps.config.tickers);
    if (!tracked.some((t) => t.ticker === ticker)) throw new UnknownTickerError(ticker);
    if (!reported) return {};
    const strategy = strategyFromLegacyName(reported.strategy);
    const plans = configuredStrategies(this.deps.config.strategies, ticker);
    const signal = { ticker, date: reported.date, strategy, signal: reported.signal };
    if (reported.check) return { strategy, recorded: await confirmReportedSignal(this.deps, plans, signal) };
    const reportedBy = reported.reportedBy ?? 'unknown';
    return { strategy, ...(await recordReportedSignal(this.deps, plans, { ...signal, reportedBy }, options)) };
  }

  /** The confirmed subscribers of `ticker` who follow `strategy` on it. */
  private async recipients(ticker: string, strategy: string): Promise<string[]> {
    return (await this.deps.subscribers.list({ ticker }))
      .filter(
        (s) => s.status === 'confirmed' && s.subscriptions.some((p) => p.ticker === ticker && p.strategy === strategy),
      )
      .map((s) => s.email);
  }

  private workflowOf(request: NotifyRequest): { workflowId: string; input: NotifyTickerInput } {
    const date = request.date ?? request.reported?.date;
    return {
      workflowId: notifyTickerWorkflowId(request.ticker, date, crypto.randomUUID().slice(0, 8)),
      input: { ticker: request.ticker, ...(date ? { date } : {}) },
    };
  }
}
