import type { IsoDate } from '../domain/dates';
import { BadInputError, NotFoundError } from '../domain/errors';
import type { Mailer } from '../domain/mailer';
import { deliverExactlyOnce, type DeliveryOutcome } from '../domain/notifications/delivery';
import type { DeliveryRepository, RecommendationStore } from '../domain/ports';
import { configuredStrategyNames, type StrategiesConfig } from '../domain/strategies/configured-strategies';
import {
  checkTickersPerSubscriber,
  CONFIRMATION_DELIVERY_KIND,
  composeConfirmation,
  composeManageLink,
  ExpiredLinkError,
  newLinkDeliveryKind,
  DEFAULT_TICKER_LIMITS,
  confirmChangeUrl,
  confirmUrl,
  mailboxOf,
  manageUrl,
  normaliseEmail,
  RECOMMENDED_STRATEGY,
  recommendedSubscriptionNote,
  recommendedTickers,
  unsubscribeHeaders,
  unsubscribeUrl,
  validateStrategyNames,
  type LinkContext,
  type LinkSubscriber,
  type Subscriber,
  type SubscriberRepository,
  type SubscriberStatus,
  type SubscriberWithSubscriptions,
  type Subscription,
  type SubscriptionChangeRepository,
  type ProofOfWork,
  type ProofOfWorkChallenge,
  type TickerAdmission,
  type TickerLimits,
  type TokenClaims,
  type TokenPurpose,
} from '../domain/subscriptions';

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
  /** The server could not be reached: the claim stays open; the next subscribe request retries it, same Message-ID. */
  | 'deferred';

/**
 * Most confirmation emails public requests send one address a day. Further
 * requests are stored and answered like the others (the answer says nothing
 * about the address) but not emailed: nobody can flood a mailbox through the form.
 */
export const MAX_CONFIRMATION_EMAILS_PER_DAY = 5;

/** Most tickers one subscribe request may name (the API's body limit; the form shows it). */
export const MAX_TICKERS_PER_REQUEST = 50;

/** One ticker of a subscribe request: its strategies, or those it runs by config when omitted. */
export interface SubscriptionRequestItem {
  ticker: string;
  strategies?: readonly string[];
}

/** The result of {@link SubscriptionsService.requestSubscription}. */
export interface SubscriptionRequestResult {
  email: string;
  /** The pairs the confirmation link will add. */
  subscriptions: Subscription[];
  /** `limited`: more than {@link MAX_CONFIRMATION_EMAILS_PER_DAY} requests for this address today, not emailed. */
  confirmation: ConfirmationOutcome | 'limited';
  /** What each "recommended" ticker of the request will do (also in the confirmation email). */
  notes: string[];
}

/** What following a confirm link did. */
export interface ConfirmLinkResult {
  /**
   * `applied`: the change took effect now; `already_applied`: by an earlier
   * click; `confirmed`: an older link without a change confirmed the address.
   */
  outcome: 'applied' | 'already_applied' | 'confirmed';
  email: string;
  status: SubscriberStatus;
  /** Every pair the address now follows. */
  subscriptions: Subscription[];
  /** The pairs this link added (empty when already applied). */
  added: Subscription[];
  /** The signed manage link of this address. */
  manageUrl: string;
}

/** The result of {@link SubscriptionsService.subscribe}. */
export interface SubscribeResult {
  email: string;
  status: SubscriberStatus;
  subscriptions: Subscription[];
  added: Subscription[];
  confirmation: ConfirmationOutcome;
  /** What each "recommended" ticker of the request will do (also in the confirmation email). */
  notes: string[];
}

/** A genuine link's claims and the subscriber they name. */
export interface VerifiedSubscriber {
  claims: TokenClaims;
  subscriber: SubscriberWithSubscriptions;
}

/** What the subscribe form offers (GET /subscriptions/options). */
export interface SubscriptionOptions {
  strategies: Array<{ name: string; description: string }>;
  recommended: typeof RECOMMENDED_STRATEGY;
  /** What a ticker runs by config when no strategy is picked. */
  defaultStrategies: string[];
  maxTickers: number;
  maxConfirmationEmailsPerDay: number;
}

/** What {@link SubscriptionsService} needs. */
export interface SubscriptionsServiceDeps {
  subscribers: SubscriberRepository;
  /** Changes pending confirmation (the public subscribe path and the manage page need it). */
  changes?: SubscriptionChangeRepository;
  deliveries: Pick<DeliveryRepository, 'claim' | 'markSent' | 'markFailed'>;
  mailer: Mailer;
  links: LinkContext;
  /** Registered strategies (besides `recommended`), with what they do. */
  knownStrategies: () => ReadonlyArray<{ name: string; description: string }>;
  /** The config's strategies: a subscription without strategies follows those its ticker runs. */
  strategies: StrategiesConfig;
  /** The config's tickers (always tracked). */
  configuredTickers?: readonly string[];
  /** Config `subscriptions`: tickers per address, tracked in all (default {@link DEFAULT_TICKER_LIMITS}). */
  limits?: TickerLimits;
  /** The subscribe form's proof of work; without it public requests need none (embedders, tests). */
  proofOfWork?: ProofOfWork;
  /** Current recommendations: what a "recommended" subscription follows (without it, none is known). */
  recommendations?: Pick<RecommendationStore, 'current'>;
}

/** The one confirmation email: its delivery kind, its confirm link and what it lists. */
interface ConfirmationEmail {
  kind: string;
  subscriber: LinkSubscriber;
  confirmUrl: string;
  subscriptions: readonly Subscription[];
  notes: readonly string[];
}

/**
 * Subscribe, confirm, unsubscribe and manage, called alike by the API and the
 * CLI. The caller gives today's date (the exchange's clock is theirs).
 */
export class SubscriptionsService {
  constructor(private readonly deps: SubscriptionsServiceDeps) {}

  /** What the subscribe form offers: the strategies, "recommended", the configured default, the limits. */
  options(): SubscriptionOptions {
    return {
      strategies: this.deps.knownStrategies().map(({ name, description }) => ({ name, description })),
      recommended: RECOMMENDED_STRATEGY,
      defaultStrategies: this.deps.strategies.default.map((s) => s.name),
      maxTickers: Math.min(MAX_TICKERS_PER_REQUEST, this.limits.maxTickersPerSubscriber),
      maxConfirmationEmailsPerDay: MAX_CONFIRMATION_EMAILS_PER_DAY,
    };
  }

  /** A proof-of-work challenge for the subscribe form; {@link NotFoundError} when this server asks for none. */
  challenge(): ProofOfWorkChallenge {
    if (!this.deps.proofOfWork) throw new NotFoundError('this server asks no proof of work');
    return this.deps.proofOfWork.issue();
  }

  /**
   * Subscribe `email` to every (ticker, strategy) pair; without strategies,
   * to the strategies each ticker runs by config. A subscriber who is not
   * confirmed (and not `confirmed` by the admin path) gets a confirmation
   * email, at most one per day (claimed in the deliveries table first).
   */
  async subscribe(input: {
    email: string;
    tickers: readonly string[];
    strategies?: readonly string[];
    confirmed: boolean;
    today: IsoDate;
  }): Promise<SubscribeResult> {
    const email = normaliseEmail(input.email);
    const pairs = this.resolvePairs(input.tickers.map((ticker) => ({ ticker, strategies: input.strategies })));
    const outcome = await this.deps.subscribers.subscribe({ email, subscriptions: pairs, confirmed: input.confirmed });
    const { subscriber } = outcome;
    const notes = await this.recommendedNotes(pairs);
    const confirmation: ConfirmationOutcome =
      subscriber.status === 'confirmed'
        ? 'not_needed'
        : await this.sendConfirmation(
            {
              kind: CONFIRMATION_DELIVERY_KIND,
              subscriber,
              confirmUrl: confirmUrl(this.deps.links, subscriber),
              subscriptions: subscriber.subscriptions,
              notes,
            },
            input.today,
          );
    return {
      email,
      status: subscriber.status,
      subscriptions: subscriber.subscriptions,
      added: outcome.added,
      confirmation,
      notes,
    };
  }

  /**
   * The public subscribe path: nothing changes until the address's owner
   * follows the link emailed to it. Stores the change pending and sends its
   * confirmation email (listing exactly what it adds), at most
   * {@link MAX_CONFIRMATION_EMAILS_PER_DAY} a day per address; whatever the
   * address's state, confirmed or not.
   */
  async requestSubscription(input: {
    email: string;
    items: readonly SubscriptionRequestItem[];
    today: IsoDate;
    /** The solved proof-of-work challenge ({@link challenge}), when the server asks for one. */
    proof?: string;
  }): Promise<SubscriptionRequestResult> {
    const changes = this.needChanges();
    if (this.deps.proofOfWork) {
      const problem = await this.deps.proofOfWork.redeem(input.proof);
      if (problem) throw new BadInputError(problem, { field: 'altcha' });
    }
    const email = normaliseEmail(input.email);
    const subscriptions = this.resolvePairs(input.items);
    // Only the request itself is checked here: the answer must say nothing of the address's subscriptions.
    checkTickersPerSubscriber(subscriptions, this.limits.maxTickersPerSubscriber, 'tickers');
    const { change, requestsOnDate } = await changes.request({
      email,
      mailbox: mailboxOf(email),
      subscriptions,
      date: input.today,
    });
    const notes = await this.recommendedNotes(subscriptions);
    if (requestsOnDate > MAX_CONFIRMATION_EMAILS_PER_DAY)
      return { email, subscriptions, confirmation: 'limited', notes };
    const confirmation = await this.sendConfirmation(
      {
        kind: `${CONFIRMATION_DELIVERY_KIND}:change-${change.id}`,
        subscriber: { id: change.subscriberId, email: change.email },
        confirmUrl: confirmChangeUrl(this.deps.links, change),
        subscriptions: change.subscriptions,
        notes,
      },
      input.today,
    );
    return { email, subscriptions, confirmation, notes };
  }

  /**
   * The subscriber a link is for: the token is genuine and for `purpose`, the
   * subscriber it names exists, and still has the address it was sent to (so
   * that a token never acts on another mailbox). Null otherwise;
   * {@link ExpiredLinkError} for a genuine link past its expiry.
   */
  async verifiedSubscriber(token: string, purpose: TokenPurpose): Promise<VerifiedSubscriber | null> {
    const checked = this.deps.links.signer.check(token, purpose);
    if (checked.status === 'invalid') return null;
    if (checked.status === 'expired') throw new ExpiredLinkError(checked.claims.expiresAt ?? '');
    const { claims } = checked;
    const subscriber = await this.subscriberOf(claims);
    return subscriber ? { claims, subscriber } : null;
  }

  /**
   * "Send me a new link" (the page of an expired link, or an address typed in):
   * emails a fresh link to the address the expired `token` was for (a confirm
   * link for its change while that is pending, else a manage link), or a
   * manage link to `email`. At most one such email a day per link and
   * subscriber. Answers the same whether or not the address subscribes, so it
   * tells nobody who does: false only for a token this server did not sign.
   */
  async sendNewLink(input: { token?: string; email?: string; today: IsoDate }): Promise<boolean> {
    let subscriber: SubscriberWithSubscriptions | null = null;
    let claims: TokenClaims | null = null;
    if (input.token !== undefined) {
      claims = this.genuineClaims(input.token, ['confirm', 'manage']);
      if (!claims) return false;
      subscriber = await this.subscriberOf(claims);
    } else if (input.email !== undefined) {
      subscriber = await this.deps.subscribers.findByEmail(normaliseEmail(input.email));
    }
    if (!subscriber) return true;
    const pending = claims?.purpose === 'confirm' ? await this.pendingConfirmation(claims, subscriber) : null;
    if (pending) await this.sendConfirmation(pending, input.today);
    else await this.sendManageLink(subscriber, input.today);
    return true;
  }

  /**
   * Follow a confirm link: a link for a change applies it (once; a second
   * click says so); an older link without a change confirms the address as
   * before. Null when the link is not valid ({@link verifiedSubscriber}).
   */
  async confirmLink(token: string): Promise<ConfirmLinkResult | null> {
    const verified = await this.verifiedSubscriber(token, 'confirm');
    if (!verified) return null;
    const { claims, subscriber } = verified;
    const manage = manageUrl(this.deps.links, subscriber);
    if (claims.changeId === undefined) {
      const confirmed = await this.deps.subscribers.confirm(subscriber.id);
      if (!confirmed) return null;
      const { email, status } = confirmed;
      return {
        outcome: 'confirmed',
        email,
        status,
        subscriptions: subscriber.subscriptions,
        added: [],
        manageUrl: manage,
      };
    }
    const applied = await this.needChanges().apply(claims.changeId, subscriber.id, this.admission());
    if (!applied) return null;
    const { email, status, subscriptions } = applied.subscriber;
    return { outcome: applied.outcome, email, status, subscriptions, added: applied.added, manageUrl: manage };
  }

  /** Unsubscribe (from everything) the subscriber an unsubscribe link is for; null when the link is not valid. */
  async unsubscribeByToken(token: string): Promise<Subscriber | null> {
    return this.unsubscribeAll(await this.verifiedSubscriber(token, 'unsubscribe'));
  }

  /** The subscriber a manage link is for; null when the link is not valid. */
  async manageSubscriber(token: string): Promise<SubscriberWithSubscriptions | null> {
    return (await this.verifiedSubscriber(token, 'manage'))?.subscriber ?? null;
  }

  /** The manage page's save: the subscriber's pairs become exactly `items`' (none: unsubscribed). Null for a bad link. */
  async replaceByManageToken(
    token: string,
    items: readonly SubscriptionRequestItem[],
  ): Promise<SubscriberWithSubscriptions | null> {
    const verified = await this.verifiedSubscriber(token, 'manage');
    if (!verified) return null;
    const pairs = this.resolvePairs(items, { allowNone: true });
    return this.needChanges().replace(verified.subscriber.id, pairs, this.admission('subscriptions'));
  }

  /** The manage page's "unsubscribe from all". Null for a bad link. */
  async unsubscribeAllByManageToken(token: string): Promise<Subscriber | null> {
    return this.unsubscribeAll(await this.verifiedSubscriber(token, 'manage'));
  }

  /** Remove `email`'s subscriptions (all, or those to `tickers`); {@link BadInputError} for an unknown address (the CLI). */
  async unsubscribe(input: {
    email: string;
    tickers?: readonly string[];
  }): Promise<{ email: string; status: SubscriberStatus; removed: number }> {
    const email = normaliseEmail(input.email);
    const done = await this.deps.subscribers.unsubscribe(email, input.tickers);
    if (!done) throw new BadInputError(`unknown subscriber ${email}`);
    return { email, status: done.subscriber.status, removed: done.removed };
  }

  /** Every subscriber by address (those of `ticker` only, with only their subscriptions to it, when given). */
  list(filter: { ticker?: string } = {}) {
    return this.deps.subscribers.list(filter);
  }

  /**
   * The (ticker, strategy) pairs of a request, strategies checked, duplicates
   * dropped, in the given order; {@link BadInputError} without any ticker
   * (unless `allowNone`: the manage page's "none" unsubscribes).
   */
  private resolvePairs(
    items: readonly SubscriptionRequestItem[],
    options: { allowNone?: boolean } = {},
  ): Subscription[] {
    if (items.length === 0 && !options.allowNone) throw new BadInputError('tickers: give at least one ticker');
    const known = this.deps.knownStrategies().map((s) => s.name);
    const seen = new Set<string>();
    const out: Subscription[] = [];
    for (const item of items) {
      const strategies = item.strategies?.length
        ? validateStrategyNames(item.strategies, known)
        : configuredStrategyNames(this.deps.strategies, item.ticker);
      for (const strategy of strategies) {
        const key = `${item.ticker}\u0000${strategy}`;
        if (!seen.has(key)) out.push({ ticker: item.ticker, strategy });
        seen.add(key);
      }
    }
    return out;
  }

  /** What each "recommended" ticker of `pairs` will do, by its current recommendation (none: nothing sent for it). */
  private async recommendedNotes(pairs: readonly Subscription[]): Promise<string[]> {
    const tickers = recommendedTickers(pairs);
    if (tickers.length === 0) return [];
    const current = new Map((await this.deps.recommendations?.current(tickers))?.map((r) => [r.ticker, r]) ?? []);
    return tickers.map((ticker) => recommendedSubscriptionNote(ticker, current.get(ticker) ?? null));
  }

  private get limits(): TickerLimits {
    return this.deps.limits ?? DEFAULT_TICKER_LIMITS;
  }

  /**
   * The public paths' ticker rules, checked by the store in the transaction
   * that writes ({@link admitTickers}): at most `maxTickersPerSubscriber`
   * tickers; a ticker nothing tracks yet only while the total stays within
   * `maxTrackedTickers`; and a symbol no provider has confirmed is held
   * pending (the daily run checks it before it ever fetches it every day).
   * A refusal is a {@link BadInputError} naming `field`.
   */
  private admission(field?: string): TickerAdmission {
    return { limits: this.limits, configured: this.deps.configuredTickers ?? [], field };
  }

  /** The claims of a genuine token (expired or not) for one of `purposes`; null for one this server did not sign. */
  private genuineClaims(token: string, purposes: readonly TokenPurpose[]): TokenClaims | null {
    for (const purpose of purposes) {
      const checked = this.deps.links.signer.check(token, purpose);
      if (checked.status !== 'invalid') return checked.claims;
    }
    return null;
  }

  /** The subscriber `claims` name, while it still has the address the link was sent to. */
  private async subscriberOf(claims: TokenClaims): Promise<SubscriberWithSubscriptions | null> {
    const subscriber = await this.deps.subscribers.findById(claims.subscriberId);
    return subscriber && subscriber.email === claims.email ? subscriber : null;
  }

  /** The confirmation email a confirm link's new link repeats, while what it confirms is still pending; else null. */
  private async pendingConfirmation(
    claims: TokenClaims,
    subscriber: SubscriberWithSubscriptions,
  ): Promise<ConfirmationEmail | null> {
    if (claims.changeId === undefined) {
      if (subscriber.status !== 'pending') return null;
      return {
        kind: newLinkDeliveryKind('confirm:subscriber'),
        subscriber,
        confirmUrl: confirmUrl(this.deps.links, subscriber),
        subscriptions: subscriber.subscriptions,
        notes: await this.recommendedNotes(subscriber.subscriptions),
      };
    }
    const change = await this.needChanges().find(claims.changeId, subscriber.id);
    if (!change || change.applied) return null;
    return {
      kind: newLinkDeliveryKind(`confirm:change-${change.id}`),
      subscriber,
      confirmUrl: confirmChangeUrl(this.deps.links, change),
      subscriptions: change.subscriptions,
      notes: await this.recommendedNotes(change.subscriptions),
    };
  }

  /** Email `subscriber` a fresh manage link, once a day at most. */
  private async sendManageLink(subscriber: LinkSubscriber, today: IsoDate): Promise<void> {
    const { links } = this.deps;
    await this.sendOne(newLinkDeliveryKind('manage'), today, subscriber, () =>
      composeManageLink({
        manageUrl: manageUrl(links, subscriber),
        unsubscribeUrl: unsubscribeUrl(links, subscriber),
      }),
    );
  }

  /**
   * Send `subscriber` one email of `kind` exactly once a day: the delivery row
   * is claimed first, and a claim left open by a crash or an unreachable
   * server is sent again with the same Message-ID. Every one carries the
   * one-click unsubscribe headers.
   */
  private sendOne(
    kind: string,
    today: IsoDate,
    subscriber: LinkSubscriber,
    content: () => { subject: string; text: string; html: string },
  ): Promise<DeliveryOutcome> {
    const { links } = this.deps;
    return deliverExactlyOnce(this.deps, {
      kind,
      date: today,
      concurrency: 1,
      items: [
        {
          subscriberId: subscriber.id,
          compose: () => ({ to: subscriber.email, ...content(), headers: unsubscribeHeaders(links, subscriber) }),
        },
      ],
    });
  }

  private async unsubscribeAll(verified: VerifiedSubscriber | null): Promise<Subscriber | null> {
    if (!verified) return null;
    const done = await this.deps.subscribers.unsubscribe(verified.subscriber.email);
    return done?.subscriber ?? null;
  }

  /** Send one confirmation email exactly once per (kind, subscriber, day), with the unsubscribe and manage links. */
  private async sendConfirmation(email: ConfirmationEmail, today: IsoDate): Promise<ConfirmationOutcome> {
    const { links } = this.deps;
    const { subscriber } = email;
    const outcome = await this.sendOne(email.kind, today, subscriber, () =>
      composeConfirmation({
        confirmUrl: email.confirmUrl,
        unsubscribeUrl: unsubscribeUrl(links, subscriber),
        manageUrl: manageUrl(links, subscriber),
        subscriptions: email.subscriptions,
        notes: email.notes,
      }),
    );
    if (outcome.sent.length > 0) return 'sent';
    if (outcome.alreadySent.length > 0) return 'already_sent';
    if (outcome.deferred.length > 0) return 'deferred';
    return 'failed';
  }

  private needChanges(): SubscriptionChangeRepository {
    if (!this.deps.changes) throw new Error('subscription changes repository not configured');
    return this.deps.changes;
  }
}
