import { z } from 'zod';
import type { IsoDate } from './dates';
import { BadInputError } from './errors';
import type { Mailer } from './mailer';
import { deliverExactlyOnce } from './notifications/delivery';
import type { DeliveryRepository } from './ports';
import { escapeHtml } from './html';

/*
 * Subscribers and subscriptions: a subscriber is an email address, a
 * subscription is (subscriber, ticker, strategy). New subscribers confirm by a
 * signed link (double opt-in); every email carries a signed one-click
 * unsubscribe link. Pure: signing, storage and sending are ports.
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
  subscribe(input: { email: string; subscriptions: readonly Subscription[]; confirmed: boolean }): Promise<SubscribeOutcome>;
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
  /** The newest date with a recorded signal for `ticker`; null when none. */
  latestSignalDate(ticker: string): Promise<IsoDate | null>;
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

/**
 * Subscription changes pending confirmation (issue 8 point 5: nobody
 * subscribes someone else). A request stores the address (as `pending` when
 * unknown, otherwise untouched) and the change; only following the link
 * applies it.
 */
export interface SubscriptionChangeRepository {
  /** Store a pending change adding `subscriptions` to `email`; `requestsOnDate` counts this address's changes requested on `date`, this one included. */
  request(input: { email: string; subscriptions: readonly Subscription[]; date: IsoDate }): Promise<{ change: PendingSubscriptionChange; requestsOnDate: number }>;
  /**
   * Apply change `changeId` of `subscriberId` once, in one transaction: add its
   * pairs, confirm the subscriber (pending or unsubscribed become confirmed),
   * mark it applied. Null when there is no such change of that subscriber.
   */
  apply(changeId: number, subscriberId: number): Promise<AppliedChange | null>;
  /**
   * Make `subscriberId`'s subscriptions exactly `subscriptions` (the manage
   * page; its signed link proves the mailbox): confirmed when any are left,
   * unsubscribed when none. Null when the subscriber is unknown.
   */
  replace(subscriberId: number, subscriptions: readonly Subscription[]): Promise<SubscriberWithSubscriptions | null>;
}

// ---------------------------------------------------------------- addresses

/** RFC 5321: a path is at most 256 octets with the brackets, so 254 for the address. */
export const MAX_EMAIL_LENGTH = 254;
const MAX_LOCAL_PART_LENGTH = 64;
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
const emailSchema = z.email();

/** Why `input` is not an acceptable address, or null when it is (after {@link normaliseEmail}'s trimming). */
export function emailProblem(input: string): string | null {
  if (CONTROL_CHARS.test(input)) return 'invalid email address (control characters)';
  const trimmed = input.trim();
  if (trimmed.length === 0) return 'invalid email address (empty)';
  if (trimmed.length > MAX_EMAIL_LENGTH) return `invalid email address (longer than ${MAX_EMAIL_LENGTH} characters)`;
  if (/[<>]/.test(trimmed)) return 'invalid email address (give the bare address, without a display name)';
  if (!emailSchema.safeParse(trimmed).success) return 'invalid email address';
  if (trimmed.indexOf('@') > MAX_LOCAL_PART_LENGTH) return `invalid email address (the part before @ is longer than ${MAX_LOCAL_PART_LENGTH} characters)`;
  return null;
}

/**
 * The canonical form of an address: trimmed and lower-cased (one subscriber
 * per mailbox, whatever case it was typed in). Throws {@link BadInputError}
 * for anything that is not a bare ASCII address: display names, control
 * characters, over-long addresses.
 */
export function normaliseEmail(input: string): string {
  const problem = emailProblem(input);
  if (problem) throw new BadInputError(`${problem}: ${JSON.stringify(input.slice(0, 80))}`);
  return input.trim().toLowerCase();
}

/** A zod schema for request bodies and options: validates like {@link normaliseEmail} and outputs the normalised address. */
export const emailAddressSchema = z
  .string()
  .max(1000)
  .superRefine((value, ctx) => {
    const problem = emailProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  })
  .transform((value) => value.trim().toLowerCase());

// ---------------------------------------------------------------- strategies

/**
 * Check strategy names against the registered ones (plus
 * {@link RECOMMENDED_STRATEGY}); throws {@link BadInputError} listing the
 * known names. Returns them de-duplicated in the given order.
 */
export function validateStrategyNames(names: readonly string[], known: readonly string[]): string[] {
  const allowed = new Set([...known, RECOMMENDED_STRATEGY]);
  const unknown = names.filter((n) => !allowed.has(n));
  if (unknown.length > 0) {
    throw new BadInputError(
      `unknown strategy ${unknown.map((n) => JSON.stringify(n.slice(0, 40))).join(', ')} (known: ${[...allowed].join(', ')})`,
    );
  }
  return [...new Set(names)];
}

// ---------------------------------------------------------------- tokens

/** What a signed link may do. */
/** `manage`: the web app's manage page (see and change one's subscriptions, no password). */
export type TokenPurpose = 'confirm' | 'unsubscribe' | 'manage';

/** What a token says: who it is for and what it allows. */
export interface TokenClaims {
  purpose: TokenPurpose;
  subscriberId: number;
  email: string;
  /** A confirm link for one pending subscription change (absent in links sent before changes existed). */
  changeId?: number;
}

/**
 * Signs and verifies the tokens in confirm and unsubscribe links. Tokens are
 * URL-safe and do not expire (an old email's unsubscribe link must still
 * work); verification is constant-time.
 */
export interface TokenSigner {
  /** A URL-safe token carrying `claims`. */
  sign(claims: TokenClaims): string;
  /** The claims of a genuine token for `purpose`; null for anything else (forged, truncated, other purpose). */
  verify(token: string, purpose: TokenPurpose): TokenClaims | null;
}

/** How links in emails are built: the API's public base URL and the signer. */
export interface LinkContext {
  /** e.g. `http://127.0.0.1:8000` (a trailing slash is ignored). */
  publicUrl: string;
  signer: TokenSigner;
}

/** The subscriber a link is for. */
export interface LinkSubscriber {
  id: number;
  email: string;
}

const base = (publicUrl: string) => publicUrl.replace(/\/+$/, '');

/** `${publicUrl}/confirm?token=...`: the double opt-in link. */
export function confirmUrl(links: LinkContext, subscriber: LinkSubscriber): string {
  const token = links.signer.sign({ purpose: 'confirm', subscriberId: subscriber.id, email: subscriber.email });
  return `${base(links.publicUrl)}/confirm?token=${encodeURIComponent(token)}`;
}

/** `${publicUrl}/app/confirm?token=...`: the link that applies one pending subscription change. */
export function confirmChangeUrl(links: LinkContext, change: { id: number; subscriberId: number; email: string }): string {
  const token = links.signer.sign({ purpose: 'confirm', subscriberId: change.subscriberId, email: change.email, changeId: change.id });
  return `${base(links.publicUrl)}${APP_PATHS.confirm}?token=${encodeURIComponent(token)}`;
}

/** `${publicUrl}/unsubscribe?token=...`: the one-click unsubscribe link every email carries. */
export function unsubscribeUrl(links: LinkContext, subscriber: LinkSubscriber): string {
  const token = links.signer.sign({ purpose: 'unsubscribe', subscriberId: subscriber.id, email: subscriber.email });
  return `${base(links.publicUrl)}/unsubscribe?token=${encodeURIComponent(token)}`;
}

/**
 * Pages of the web app (served by the API under `/app/`) that emails link to.
 * One place builds these URLs so that emails and the app's router agree.
 */
export const APP_PATHS = {
  confirm: '/app/confirm',
  unsubscribe: '/app/unsubscribe',
  manage: '/app/manage',
  signal: '/app/signals',
} as const;

/** `${publicUrl}/app/manage?token=...`: the signed manage link every email carries. */
export function manageUrl(links: LinkContext, subscriber: LinkSubscriber): string {
  const token = links.signer.sign({ purpose: 'manage', subscriberId: subscriber.id, email: subscriber.email });
  return `${base(links.publicUrl)}${APP_PATHS.manage}?token=${encodeURIComponent(token)}`;
}

/** `${publicUrl}/app/signals/AAPL/sma_cross/2018-02-07`: the "why did I get this" page of one signal. */
export function signalUrl(publicUrl: string, signal: { ticker: string; strategy: string; date: string }): string {
  const parts = [signal.ticker, signal.strategy, signal.date].map(encodeURIComponent);
  return `${base(publicUrl)}${APP_PATHS.signal}/${parts.join('/')}`;
}

/** The RFC 2369 / RFC 8058 headers for one-click unsubscribe, for {@link OutgoingEmail.headers}. */
export function unsubscribeHeaders(links: LinkContext, subscriber: LinkSubscriber): Record<string, string> {
  return {
    'List-Unsubscribe': `<${unsubscribeUrl(links, subscriber)}>`,
    'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
  };
}

// ---------------------------------------------------------------- confirmation email

/** The delivery kind of double opt-in emails in the deliveries table. */
export const CONFIRMATION_DELIVERY_KIND = 'confirmation';

/** Subject, text and HTML of the double opt-in email. */
export function composeConfirmation(input: { confirmUrl: string; unsubscribeUrl: string; subscriptions: readonly Subscription[]; manageUrl?: string }): {
  subject: string;
  text: string;
  html: string;
} {
  const pairs = input.subscriptions.map((s) => `${s.ticker} (${s.strategy})`);
  const subject = 'Confirm your subscription to Algo Signals';
  const text = [
    'Someone (hopefully you) asked to receive trading signals from Algo Signals for:',
    ...pairs.map((p) => `- ${p}`),
    '',
    `Confirm your subscription: ${input.confirmUrl}`,
    '',
    'If you did not ask for this, ignore this email: you will get nothing else.',
    ...(input.manageUrl ? [`Manage your subscriptions: ${input.manageUrl}`] : []),
    `Unsubscribe: ${input.unsubscribeUrl}`,
  ].join('\n');
  const html = `<!doctype html><html><body style="font-family:sans-serif">
<p>Someone (hopefully you) asked to receive trading signals from Algo Signals for:</p>
<ul>${pairs.map((p) => `<li>${escapeHtml(p)}</li>`).join('')}</ul>
<p><a href="${escapeHtml(input.confirmUrl)}">Confirm your subscription</a></p>
<p style="color:#666;font-size:12px">If you did not ask for this, ignore this email: you will get nothing else.<br>
${input.manageUrl ? `<a href="${escapeHtml(input.manageUrl)}">Manage your subscriptions</a> · ` : ''}<a href="${escapeHtml(input.unsubscribeUrl)}">Unsubscribe</a></p>
</body></html>`;
  return { subject, text, html };
}

/** What happened to the confirmation email of a subscribe request. */
export type ConfirmationOutcome =
  /** Not needed: the subscriber is confirmed (admin path or confirmed before). */
  | 'not_needed'
  /** Sent now. */
  | 'sent'
  /** Already sent today: not sent again. */
  | 'already_sent'
  /** The server refused the address for good (recorded; not retried). */
  | 'failed'
  /** The server could not be reached: the claim stays open and the next subscribe request retries it with the same Message-ID. */
  | 'deferred';

/**
 * Most confirmation emails public requests send one address a day. Further
 * requests are stored and answered like the others (the answer says nothing
 * about the address) but not emailed: nobody can flood a mailbox through the form.
 */
export const MAX_CONFIRMATION_EMAILS_PER_DAY = 5;

/** One ticker of a public subscribe request: its strategies, or those it runs by config when omitted. */
export interface SubscriptionRequestItem {
  ticker: string;
  strategies?: readonly string[];
}

/** The result of {@link SubscriptionService.requestSubscription}. */
export interface SubscriptionRequestResult {
  email: string;
  /** The pairs the confirmation link will add. */
  subscriptions: Subscription[];
  /** `limited`: more than {@link MAX_CONFIRMATION_EMAILS_PER_DAY} requests for this address today, not emailed. */
  confirmation: ConfirmationOutcome | 'limited';
}

/** What following a confirm link did. */
export interface ConfirmLinkResult {
  /** `applied`: the change took effect now; `already_applied`: by an earlier click; `confirmed`: an older link without a change confirmed the address. */
  outcome: 'applied' | 'already_applied' | 'confirmed';
  email: string;
  status: SubscriberStatus;
  /** Every pair the address now follows. */
  subscriptions: Subscription[];
  /** The pairs this link added (empty when already applied). */
  added: Subscription[];
}

/** The result of {@link SubscriptionService.subscribe}. */
export interface SubscribeResult {
  email: string;
  status: SubscriberStatus;
  subscriptions: Subscription[];
  added: Subscription[];
  confirmation: ConfirmationOutcome;
}

/** What {@link SubscriptionService} needs. */
export interface SubscriptionServiceDeps {
  subscribers: SubscriberRepository;
  /** Changes pending confirmation (the public subscribe path and the manage page need it). */
  changes?: SubscriptionChangeRepository;
  deliveries: Pick<DeliveryRepository, 'claim' | 'markSent' | 'markFailed'>;
  mailer: Mailer;
  links: LinkContext;
  /** Registered strategy names (besides `recommended`). */
  knownStrategies: readonly string[];
  /** The strategies a ticker runs by config: a subscription without strategies follows these. */
  strategiesFor(ticker: string): readonly string[];
}

/**
 * Subscribe, confirm and unsubscribe, shared by the API and the CLI. The
 * caller gives today's date (the domain has no clock).
 */
export class SubscriptionService {
  constructor(private readonly deps: SubscriptionServiceDeps) {}

  /**
   * Subscribe `email` to every (ticker, strategy) pair; without strategies,
   * to the strategies each ticker runs by config. A subscriber who is not
   * confirmed (and not `confirmed` by the admin path) gets a confirmation
   * email, at most one per day (claimed in the deliveries table first).
   */
  async subscribe(input: { email: string; tickers: readonly string[]; strategies?: readonly string[]; confirmed: boolean; today: IsoDate }): Promise<SubscribeResult> {
    const email = normaliseEmail(input.email);
    if (input.tickers.length === 0) throw new BadInputError('tickers: give at least one ticker');
    const strategies = input.strategies?.length ? validateStrategyNames(input.strategies, this.deps.knownStrategies) : undefined;
    const pairs = input.tickers.flatMap((ticker) =>
      (strategies ?? this.deps.strategiesFor(ticker)).map((strategy) => ({ ticker, strategy })),
    );
    const outcome = await this.deps.subscribers.subscribe({ email, subscriptions: pairs, confirmed: input.confirmed });
    const { subscriber } = outcome;
    const confirmation = subscriber.status === 'confirmed' ? 'not_needed' : await this.sendConfirmation(subscriber, input.today);
    return { email, status: subscriber.status, subscriptions: subscriber.subscriptions, added: outcome.added, confirmation };
  }

  /**
   * Send the double opt-in email exactly once per (subscriber, day): claim
   * the delivery row first; a claim left open by a crash or an unreachable
   * server is sent again with the same Message-ID.
   */
  async sendConfirmation(subscriber: SubscriberWithSubscriptions, today: IsoDate): Promise<ConfirmationOutcome> {
    const outcome = await deliverExactlyOnce(this.deps, {
      kind: CONFIRMATION_DELIVERY_KIND,
      date: today,
      concurrency: 1,
      items: [
        {
          subscriberId: subscriber.id,
          compose: () => ({
            to: subscriber.email,
            ...composeConfirmation({
              confirmUrl: confirmUrl(this.deps.links, subscriber),
              unsubscribeUrl: unsubscribeUrl(this.deps.links, subscriber),
              subscriptions: subscriber.subscriptions,
            }),
            headers: unsubscribeHeaders(this.deps.links, subscriber),
          }),
        },
      ],
    });
    if (outcome.sent.length > 0) return 'sent';
    if (outcome.alreadySent.length > 0) return 'already_sent';
    if (outcome.deferred.length > 0) return 'deferred';
    return 'failed';
  }

  /** Confirm the subscriber a confirm token names; null when the token is not genuine or the subscriber is gone. */
  async confirmByToken(token: string): Promise<Subscriber | null> {
    const claims = this.deps.links.signer.verify(token, 'confirm');
    if (!claims) return null;
    const subscriber = await this.deps.subscribers.findById(claims.subscriberId);
    // The address is part of the claims so that a token never acts on another mailbox.
    if (!subscriber || subscriber.email !== claims.email) return null;
    return this.deps.subscribers.confirm(subscriber.id);
  }

  /** Unsubscribe (from everything) the subscriber an unsubscribe token names; null when the token is not genuine. */
  async unsubscribeByToken(token: string): Promise<{ email: string } | null> {
    const claims = this.deps.links.signer.verify(token, 'unsubscribe');
    if (!claims) return null;
    const subscriber = await this.deps.subscribers.findById(claims.subscriberId);
    if (!subscriber || subscriber.email !== claims.email) return subscriber ? null : { email: claims.email };
    await this.deps.subscribers.unsubscribe(subscriber.email);
    return { email: subscriber.email };
  }

  /** The claims of an unsubscribe token (to show the address on the confirmation page); null when not genuine. */
  peekUnsubscribe(token: string): TokenClaims | null {
    return this.deps.links.signer.verify(token, 'unsubscribe');
  }

  private needChanges(): SubscriptionChangeRepository {
    if (!this.deps.changes) throw new Error('subscription changes repository not configured');
    return this.deps.changes;
  }

  /** The (ticker, strategy) pairs of a request, strategies checked, duplicates dropped, in the given order. */
  resolvePairs(items: readonly SubscriptionRequestItem[]): Subscription[] {
    const seen = new Set<string>();
    const out: Subscription[] = [];
    for (const item of items) {
      const strategies = item.strategies?.length ? validateStrategyNames(item.strategies, this.deps.knownStrategies) : this.deps.strategiesFor(item.ticker);
      for (const strategy of strategies) {
        const key = `${item.ticker}\u0000${strategy}`;
        if (!seen.has(key)) out.push({ ticker: item.ticker, strategy });
        seen.add(key);
      }
    }
    return out;
  }

  /**
   * The public subscribe path: nothing changes until the address's owner
   * follows the link emailed to it. Stores the change pending and sends its
   * confirmation email (listing exactly what it adds), at most
   * {@link MAX_CONFIRMATION_EMAILS_PER_DAY} a day per address; whatever the
   * address's state, confirmed or not.
   */
  async requestSubscription(input: { email: string; items: readonly SubscriptionRequestItem[]; today: IsoDate }): Promise<SubscriptionRequestResult> {
    const changes = this.needChanges();
    const email = normaliseEmail(input.email);
    if (input.items.length === 0) throw new BadInputError('tickers: give at least one ticker');
    const subscriptions = this.resolvePairs(input.items);
    const { change, requestsOnDate } = await changes.request({ email, subscriptions, date: input.today });
    if (requestsOnDate > MAX_CONFIRMATION_EMAILS_PER_DAY) return { email, subscriptions, confirmation: 'limited' };
    const confirmation = await this.sendChangeConfirmation(change, input.today);
    return { email, subscriptions, confirmation };
  }

  /** The confirmation email of one change, exactly once (its own delivery key). */
  private async sendChangeConfirmation(change: PendingSubscriptionChange, today: IsoDate): Promise<ConfirmationOutcome> {
    const subscriber = { id: change.subscriberId, email: change.email };
    const outcome = await deliverExactlyOnce(this.deps, {
      kind: `${CONFIRMATION_DELIVERY_KIND}:change-${change.id}`,
      date: today,
      concurrency: 1,
      items: [
        {
          subscriberId: change.subscriberId,
          compose: () => ({
            to: change.email,
            ...composeConfirmation({
              confirmUrl: confirmChangeUrl(this.deps.links, change),
              unsubscribeUrl: unsubscribeUrl(this.deps.links, subscriber),
              manageUrl: manageUrl(this.deps.links, subscriber),
              subscriptions: change.subscriptions,
            }),
            headers: unsubscribeHeaders(this.deps.links, subscriber),
          }),
        },
      ],
    });
    if (outcome.sent.length > 0) return 'sent';
    if (outcome.alreadySent.length > 0) return 'already_sent';
    if (outcome.deferred.length > 0) return 'deferred';
    return 'failed';
  }

  /**
   * Follow a confirm link: a link for a change applies it (once; a second
   * click says so); an older link without a change confirms the address as
   * before. Null when the token is not genuine or names another mailbox.
   */
  async confirmLink(token: string): Promise<ConfirmLinkResult | null> {
    const claims = this.deps.links.signer.verify(token, 'confirm');
    if (!claims) return null;
    const subscriber = await this.deps.subscribers.findById(claims.subscriberId);
    if (!subscriber || subscriber.email !== claims.email) return null;
    if (claims.changeId === undefined) {
      const confirmed = await this.deps.subscribers.confirm(subscriber.id);
      if (!confirmed) return null;
      return { outcome: 'confirmed', email: confirmed.email, status: confirmed.status, subscriptions: subscriber.subscriptions, added: [] };
    }
    const applied = await this.needChanges().apply(claims.changeId, subscriber.id);
    if (!applied) return null;
    return { outcome: applied.outcome, email: applied.subscriber.email, status: applied.subscriber.status, subscriptions: applied.subscriber.subscriptions, added: applied.added };
  }

  /** The subscriber a manage link is for; null when the token is not genuine or the address is gone. */
  async manageSubscriber(token: string): Promise<SubscriberWithSubscriptions | null> {
    const claims = this.deps.links.signer.verify(token, 'manage');
    if (!claims) return null;
    const subscriber = await this.deps.subscribers.findById(claims.subscriberId);
    return subscriber && subscriber.email === claims.email ? subscriber : null;
  }

  /** The manage page's save: the subscriber's pairs become exactly `items`' (none: unsubscribed). Null for a bad link. */
  async replaceByManageToken(token: string, items: readonly SubscriptionRequestItem[]): Promise<SubscriberWithSubscriptions | null> {
    const subscriber = await this.manageSubscriber(token);
    if (!subscriber) return null;
    return this.needChanges().replace(subscriber.id, this.resolvePairs(items));
  }

  /** The manage page's "unsubscribe from all". Null for a bad link. */
  async unsubscribeAllByManageToken(token: string): Promise<Subscriber | null> {
    const subscriber = await this.manageSubscriber(token);
    if (!subscriber) return null;
    const done = await this.deps.subscribers.unsubscribe(subscriber.email);
    return done?.subscriber ?? null;
  }
}
