import { BadInputError } from '../errors';
import type { Subscription } from './subscription.types';

/**
 * How many tickers subscribers may bring (config `subscriptions`): every
 * ticker a subscriber follows is fetched and evaluated by every daily run,
 * so nobody may make every run slow.
 */
export interface TickerLimits {
  /** Most distinct tickers one address may follow. */
  maxTickersPerSubscriber: number;
  /** Most tickers tracked and pending in all. */
  maxTrackedTickers: number;
}

/** The shipped limits (config/default.yaml). */
export const DEFAULT_TICKER_LIMITS: TickerLimits = { maxTickersPerSubscriber: 50, maxTrackedTickers: 1000 };

/** The distinct tickers of `subscriptions`, in order. */
export const tickersOf = (subscriptions: readonly Subscription[]): string[] => [
  ...new Set(subscriptions.map((s) => s.ticker)),
];

/** {@link BadInputError} when one address would follow more than `max` distinct tickers. */
export function checkTickersPerSubscriber(subscriptions: readonly Subscription[], max: number, field?: string): void {
  const count = tickersOf(subscriptions).length;
  if (count > max) {
    throw new BadInputError(
      `${count} tickers: one address may follow at most ${max}. Choose fewer tickers (on your manage page you can remove some first).`,
      field ? { field } : {},
    );
  }
}

/**
 * {@link BadInputError} when `untracked` (tickers nothing tracks yet) would
 * take the tracked and pending total (`total` now) past `max`.
 */
export function checkTrackedTotal(untracked: readonly string[], total: number, max: number, field?: string): void {
  if (untracked.length > 0 && total + untracked.length > max) {
    throw new BadInputError(
      `${untracked.join(', ')}: this service follows as many tickers as it can (${max}), so it cannot add new ones now. Tickers it already follows can still be chosen.`,
      field ? { field } : {},
    );
  }
}
