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

/**
 * The caps a write that adds tickers must keep: checked by the store in the
 * transaction that writes, so simultaneous requests cannot slip past them.
 */
export interface TickerAdmission {
  limits: TickerLimits;
  /** The config's tickers (always tracked, counted in the total). */
  configured: readonly string[];
  /** The request field a refusal names. */
  field?: string;
}

/** Where the tickers new to a subscriber stand (see {@link admitTickers}). */
export interface TickerStanding {
  /** Neither tracked (configured, added, followed by a confirmed subscriber) nor pending. */
  untracked: string[];
  /** Of `untracked`, those with no stored bars: no provider has confirmed them, so they are held pending. */
  unverified: string[];
  /** How many tickers are tracked or pending now. */
  total: number;
}

/**
 * The caps' rules, before a subscriber who follows `current` comes to follow
 * exactly `next`: at most `maxTickersPerSubscriber` tickers; a ticker nothing
 * tracks yet only while the total stays within `maxTrackedTickers`.
 * `standing` is asked only when `next` has tickers `current` lacks (the store
 * takes its lock on the total then). Returns the symbols to hold pending;
 * {@link BadInputError} naming `admission.field` otherwise.
 */
export async function admitTickers(
  current: readonly Subscription[],
  next: readonly Subscription[],
  admission: TickerAdmission,
  standing: (newTickers: string[]) => Promise<TickerStanding>,
): Promise<string[]> {
  const { limits, field } = admission;
  checkTickersPerSubscriber(next, limits.maxTickersPerSubscriber, field);
  const following = new Set(current.map((s) => s.ticker));
  const newTickers = tickersOf(next).filter((t) => !following.has(t));
  if (newTickers.length === 0) return [];
  const found = await standing(newTickers);
  checkTrackedTotal(found.untracked, found.total, limits.maxTrackedTickers, field);
  return found.unverified;
}
