import type { IsoDate } from '../domain/dates';
import { UnknownTickerError } from '../domain/errors';
import type { SignalRecord, SignalRepository } from '../domain/ports';
import { configuredStrategyNames, type StrategiesConfig } from '../domain/strategies/configured-strategies';
import type {
  SubscriberListing,
  SubscriberRepository,
  TickerSummary,
  TrackedTickerSource,
} from '../domain/subscriptions';
import type { SubscribeResult, SubscriptionsService } from './subscriptions.service';

/** A tracked ticker: its counts and last bar date, and the strategies it runs by config. */
export interface TrackedTicker extends TickerSummary {
  /** The strategies the ticker runs by config (a subscription without strategies follows these). */
  strategies: string[];
}

/** A tracked ticker with its latest recorded signals (GET /tickers/{ticker}). */
export interface TickerDetail extends TrackedTicker {
  latestSignals: { date: IsoDate | null; signals: SignalRecord[] };
}

/** What `track` did to one ticker. */
export interface TrackResult {
  ticker: string;
  tracked: true;
  /** False when it was tracked already. */
  created: boolean;
}

/** What `untrack` did to one ticker. */
export interface UntrackResult {
  ticker: string;
  /** It was among the added tickers and is not any more. */
  removed: boolean;
  /** It is still tracked all the same: see `reason`. */
  tracked: boolean;
  reason?: string;
}

/** One address added by {@link TickersService.addSubscribers}. */
export type AddedSubscriber = Pick<SubscribeResult, 'email' | 'status' | 'added' | 'confirmation'>;

/** What {@link TickersService} needs. */
export interface TickersServiceDeps {
  subscribers: Pick<
    SubscriberRepository,
    'trackedTickers' | 'trackTicker' | 'untrackTicker' | 'list' | 'latestSignalDate'
  >;
  signals: Pick<SignalRepository, 'list'>;
  subscriptions: Pick<SubscriptionsService, 'subscribe'>;
  config: { tickers: readonly string[]; strategies: StrategiesConfig };
}

/**
 * Why a ticker stays tracked once it is no longer among the added ones, or
 * null when it does not: configured tickers and tickers with (pending or
 * confirmed) subscribers are tracked whatever was added.
 */
export function stillTrackedBecause(summary: TickerSummary | undefined): string | null {
  if (!summary) return null;
  if (summary.configured) return 'it is in the config (tickers)';
  if (summary.subscribers > 0 || summary.pendingSubscribers > 0) return 'it has subscribers';
  return null;
}

/**
 * The tickers the daily run tracks (configured, added, subscribed) and their
 * subscribers: the use cases behind `/tickers` and `algo tickers`.
 */
export class TickersService {
  constructor(private readonly deps: TickersServiceDeps) {}

  /** Every tracked ticker, sorted, with counts, last bar date and configured strategies. */
  async list(): Promise<TrackedTicker[]> {
    const summaries = await this.deps.subscribers.trackedTickers(this.deps.config.tickers);
    return summaries.map((summary) => this.withStrategies(summary));
  }

  /** The tracked ticker `ticker`; {@link UnknownTickerError} (404) when it is not tracked. */
  async get(ticker: string): Promise<TrackedTicker> {
    const summary = (await this.list()).find((t) => t.ticker === ticker);
    if (!summary) throw new UnknownTickerError(ticker);
    return summary;
  }

  /** A tracked ticker with the signals of its latest signal date. */
  async detail(ticker: string): Promise<TickerDetail> {
    const summary = await this.get(ticker);
    const date = await this.deps.subscribers.latestSignalDate(ticker);
    const signals = date ? await this.deps.signals.list({ ticker, date }) : [];
    return { ...summary, latestSignals: { date, signals } };
  }

  /** The subscribers of `ticker` by address (every status), with only their subscriptions to it. */
  subscribers(ticker: string): Promise<SubscriberListing[]> {
    return this.deps.subscribers.list({ ticker });
  }

  /** Start tracking `tickers` (de-duplicated): the next daily run ingests and evaluates them. */
  async track(tickers: readonly string[], source: TrackedTickerSource): Promise<TrackResult[]> {
    const results: TrackResult[] = [];
    for (const ticker of new Set(tickers)) {
      results.push({ ticker, tracked: true, created: await this.deps.subscribers.trackTicker(ticker, source) });
    }
    return results;
  }

  /** Stop tracking added `tickers`; configured and subscribed ones stay tracked, and each result says why. */
  async untrack(tickers: readonly string[]): Promise<UntrackResult[]> {
    const results: UntrackResult[] = [];
    for (const ticker of new Set(tickers)) {
      const removed = await this.deps.subscribers.untrackTicker(ticker);
      const summary = (await this.deps.subscribers.trackedTickers(this.deps.config.tickers)).find(
        (t) => t.ticker === ticker,
      );
      const reason = stillTrackedBecause(summary);
      results.push({ ticker, removed, tracked: reason !== null, ...(reason ? { reason } : {}) });
    }
    return results;
  }

  /**
   * Subscribe each address (de-duplicated) to `ticker`: confirmed at once
   * when `confirmed` (the admin path, and the old clients' bare array),
   * otherwise new addresses get the opt-in email.
   */
  async addSubscribers(input: {
    ticker: string;
    emails: readonly string[];
    strategies?: readonly string[];
    confirmed: boolean;
    today: IsoDate;
  }): Promise<AddedSubscriber[]> {
    const { ticker, strategies, confirmed, today } = input;
    const results: AddedSubscriber[] = [];
    for (const email of new Set(input.emails)) {
      const r = await this.deps.subscriptions.subscribe({ email, tickers: [ticker], strategies, confirmed, today });
      results.push({ email: r.email, status: r.status, added: r.added, confirmation: r.confirmation });
    }
    return results;
  }

  private withStrategies(summary: TickerSummary): TrackedTicker {
    return { ...summary, strategies: configuredStrategyNames(this.deps.config.strategies, summary.ticker) };
  }
}
