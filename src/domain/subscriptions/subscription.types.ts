import type { IsoDate } from '../dates';

/*
 * Subscribers and subscriptions: a subscriber is an email address, a
 * subscription is (subscriber, ticker, strategy). New subscribers confirm by a
 * signed link (double opt-in); every email carries a signed one-click
 * unsubscribe link.
 */

/** Where a subscriber stands: only `confirmed` ones are ever emailed signals. */
export type SubscriberStatus = 'pending' | 'confirmed' | 'unsubscribed';

/** One (ticker, strategy) pair a subscriber follows. */
export interface Subscription {
  ticker: string;
  /** A registered strategy name, or {@link RECOMMENDED_STRATEGY}. */
  strategy: string;
}

/** A subscriber as stored. */
export interface Subscriber {
  id: number;
  /** Normalised (lower-cased) address. */
  email: string;
  status: SubscriberStatus;
}

/** A subscriber with the pairs they follow (sorted by ticker, then strategy). */
export interface SubscriberWithSubscriptions extends Subscriber {
  subscriptions: Subscription[];
}

/** A subscriber as listed by `algo subscribers` and the API. */
export interface SubscriberListing {
  email: string;
  status: SubscriberStatus;
  subscriptions: Subscription[];
}

/** What {@link SubscriberRepository.subscribe} did. */
export interface SubscribeOutcome {
  subscriber: SubscriberWithSubscriptions;
  /** True when the address was not stored before. */
  created: boolean;
  /** The pairs that were not subscribed before. */
  added: Subscription[];
}

/** A tracked ticker as `GET /tickers` shows it. */
export interface TickerSummary {
  ticker: string;
  /** Listed in the config's `tickers`. */
  configured: boolean;
  /** Confirmed subscribers with at least one subscription to it. */
  subscribers: number;
  /** Subscribers still to confirm. */
  pendingSubscribers: number;
  /** Date of its newest stored bar; null before its first ingestion. */
  lastDate: IsoDate | null;
}

/** Who added a tracked ticker. */
export type TrackedTickerSource = 'api' | 'cli';

/** The strategy name that means "whichever the system recommends for this ticker". */
export const RECOMMENDED_STRATEGY = 'recommended';

/**
 * The name a ticker's recommended strategy runs under (`recommended:sma_cross`):
 * its signals and state are its own, apart from the same strategy run by
 * config with other parameters.
 */
export function recommendedLabel(strategy: string): string {
  return `${RECOMMENDED_LABEL_PREFIX}${strategy}`;
}

/** What every {@link recommendedLabel} starts with. */
export const RECOMMENDED_LABEL_PREFIX = `${RECOMMENDED_STRATEGY}:`;

/** A signal's strategy label as people read it: `recommended:sma_cross` is `sma_cross`, run as the recommendation. */
export function strategyOfLabel(label: string): { strategy: string; recommended: boolean } {
  const recommended = label.startsWith(RECOMMENDED_LABEL_PREFIX);
  return { strategy: recommended ? label.slice(RECOMMENDED_LABEL_PREFIX.length) : label, recommended };
}

/** A subscription asked for through the public API, waiting for the confirmation link sent to the address. */
export interface PendingSubscriptionChange {
  id: number;
  subscriberId: number;
  email: string;
  /** The pairs the change adds. */
  subscriptions: Subscription[];
  applied: boolean;
}

/** What {@link SubscriptionChangeRepository.apply} did. */
export interface AppliedChange {
  /** `applied` now, or `already_applied` by an earlier click of the same link. */
  outcome: 'applied' | 'already_applied';
  subscriber: SubscriberWithSubscriptions;
  /** The pairs that were not subscribed before (empty when already applied). */
  added: Subscription[];
}
