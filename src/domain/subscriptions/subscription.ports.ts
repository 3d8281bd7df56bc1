import { GoneError } from '../errors';
import type { IsoDate } from '../dates';
import type {
  AppliedChange,
  PendingSubscriptionChange,
  SubscribeOutcome,
  Subscriber,
  SubscriberListing,
  SubscriberWithSubscriptions,
  Subscription,
  TickerSummary,
  TrackedTickerSource,
} from './subscription.types';
import type { TickerAdmission } from './ticker-limits';

/**
 * Subscribers, subscriptions and the set of tracked tickers, in the system
 * of record. Emails passed in are already normalised ({@link normaliseEmail}).
 */
export interface SubscriberRepository {
  /**
   * Store the address (if new) and the given pairs (existing ones are kept,
   * so a repeat is a no-op). An unsubscribed address becomes pending again,
   * or confirmed when `confirmed` is true; a pending one becomes confirmed
   * when `confirmed` is true; a confirmed one stays confirmed.
   */
  subscribe(input: {
    email: string;
    subscriptions: readonly Subscription[];
    confirmed: boolean;
  }): Promise<SubscribeOutcome>;
  /** Confirm a pending subscriber (a confirmed one is left as it is); null when unknown or unsubscribed. */
  confirm(subscriberId: number): Promise<Subscriber | null>;
  /**
   * Remove the subscriptions to `tickers` (all of them when omitted); a
   * subscriber left without subscriptions becomes `unsubscribed`. Null when
   * the address is unknown.
   */
  unsubscribe(email: string, tickers?: readonly string[]): Promise<{ subscriber: Subscriber; removed: number } | null>;
  /** The subscriber with this address, with their subscriptions; null when unknown. */
  findByEmail(email: string): Promise<SubscriberWithSubscriptions | null>;
  /** The subscriber with this id, with their subscriptions; null when unknown. */
  findById(id: number): Promise<SubscriberWithSubscriptions | null>;
  /** Every subscriber (with a subscription to `ticker` when given), by address; unsubscribed ones included. */
  list(filter?: { ticker?: string }): Promise<SubscriberListing[]>;
  /** Tickers with at least one confirmed subscriber, sorted: the daily run tracks them. */
  subscribedTickers(): Promise<string[]>;
  /** Add `ticker` to the tracked tickers so that the next daily run ingests and evaluates it; true when it was new. */
  trackTicker(ticker: string, source?: TrackedTickerSource): Promise<boolean>;
  /**
   * Remove `ticker` from the added tracked tickers; true when it was there. A
   * configured or subscribed ticker stays tracked all the same.
   */
  untrackTicker(ticker: string): Promise<boolean>;
  /**
   * The tracked set: `configured` tickers, every added one ({@link trackTicker})
   * and every ticker with a pending or confirmed subscriber, sorted, with
   * counts and last bar dates.
   */
  trackedTickers(configured: readonly string[]): Promise<TickerSummary[]>;
  /** At most `limit` pending tickers, oldest request first. */
  pendingTickers(limit: number): Promise<string[]>;
  /**
   * A provider's answer about pending `ticker`, in one transaction: it exists
   * (no longer pending: tracked through its subscriptions) or not (every
   * subscription to it removed, and a `ticker-dropped:<TICKER>` delivery of
   * `date` claimed for each confirmed subscriber who lost it, so that the
   * email telling them is sent, and retried, by {@link unsentDroppedTickerNotices}).
   * Returns the confirmed subscribers who lost it.
   */
  resolvePendingTicker(ticker: string, exists: boolean, date: IsoDate): Promise<Subscriber[]>;
  /** The `ticker-dropped:` deliveries claimed and not sent yet (the server was down), with the subscriber to tell (still confirmed). */
  unsentDroppedTickerNotices(): Promise<Array<{ ticker: string; date: IsoDate; subscriber: Subscriber }>>;
  /** The newest date with a recorded signal for `ticker`; null when none. */
  latestSignalDate(ticker: string): Promise<IsoDate | null>;
}

/**
 * Subscription changes pending confirmation (issue 8 point 5: nobody
 * subscribes someone else). A request stores the address (as `pending` when
 * unknown, otherwise untouched) and the change; only following the link
 * applies it.
 */
export interface SubscriptionChangeRepository {
  /**
   * Store a pending change adding `subscriptions` to `email`; `requestsOnDate`
   * counts the changes requested on `date` for every address of `mailbox`
   * (see `mailboxOf`), this one included.
   */
  request(input: {
    email: string;
    mailbox: string;
    subscriptions: readonly Subscription[];
    date: IsoDate;
  }): Promise<{ change: PendingSubscriptionChange; requestsOnDate: number }>;
  /** Change `changeId` of `subscriberId` as stored; null when there is none. */
  find(changeId: number, subscriberId: number): Promise<PendingSubscriptionChange | null>;
  /**
   * Apply change `changeId` of `subscriberId` once, in one transaction: add its
   * pairs, confirm the subscriber (pending or unsubscribed become confirmed),
   * mark it applied. Null when there is no such change of that subscriber.
   * With `admission`, its caps are checked in that transaction, the
   * subscriber's row locked ({@link admitTickers}); {@link BadInputError} when they refuse it.
   */
  apply(changeId: number, subscriberId: number, admission?: TickerAdmission): Promise<AppliedChange | null>;
  /**
   * Make `subscriberId`'s subscriptions exactly `subscriptions` (the manage
   * page; its signed link proves the mailbox): confirmed when any are left,
   * unsubscribed when none. Null when the subscriber is unknown. With
   * `admission`, as {@link apply}.
   */
  replace(
    subscriberId: number,
    subscriptions: readonly Subscription[],
    admission?: TickerAdmission,
  ): Promise<SubscriberWithSubscriptions | null>;
}

/** What a signed link may do; `manage`: the web app's manage page (see and change one's subscriptions, no password). */
export type TokenPurpose = 'confirm' | 'unsubscribe' | 'manage';

/** What a token says: who it is for and what it allows. */
export interface TokenClaims {
  purpose: TokenPurpose;
  subscriberId: number;
  email: string;
  /** A confirm link for one pending subscription change (absent in links sent before changes existed). */
  changeId?: number;
  /**
   * When the link stops working, ISO 8601 (set by the signer from its purpose's
   * lifetime; absent for unsubscribe links and for links signed before links expired).
   */
  expiresAt?: string;
}

/** What a token is: genuine and current, genuine but past its expiry, or not ours (forged, truncated, other purpose). */
export type TokenCheck =
  | { status: 'valid'; claims: TokenClaims }
  | { status: 'expired'; claims: TokenClaims }
  | { status: 'invalid' };

/**
 * Signs and verifies the tokens in confirm, unsubscribe and manage links.
 * Tokens are URL-safe; confirm and manage tokens carry their expiry inside
 * the signed part, unsubscribe tokens never expire (an old email's one-click
 * unsubscribe must still work); verification is constant-time.
 */
export interface TokenSigner {
  /** A URL-safe token carrying `claims`, its expiry set from `claims.purpose`'s lifetime. */
  sign(claims: Omit<TokenClaims, 'expiresAt'>): string;
  /** The claims of a genuine, unexpired token for `purpose`; null for anything else. */
  verify(token: string, purpose: TokenPurpose): TokenClaims | null;
  /** Like {@link verify}, but tells a genuine expired token (its claims, for "send me a new link") from a bad one. */
  check(token: string, purpose: TokenPurpose): TokenCheck;
}

/** A genuine link past its expiry (the API answers 410 `link_expired`; its page offers a new link). */
export class ExpiredLinkError extends GoneError {
  override readonly code = 'link_expired';

  constructor(readonly expiresAt: string) {
    super(
      `This link expired on ${lastDayOf(expiresAt)}. Ask for a new one: it is sent to the address this link was for.`,
    );
  }
}

/** The last day (UTC, YYYY-MM-DD) on which a link expiring at `expiresAt` still worked. */
function lastDayOf(expiresAt: string): string {
  return new Date(Date.parse(expiresAt) - 1).toISOString().slice(0, 10);
}
