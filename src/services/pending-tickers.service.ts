import type { IsoDate } from '../domain/dates';
import { BadInputError } from '../domain/errors';
import type { Mailer } from '../domain/mailer';
import { deliverExactlyOnce } from '../domain/notifications/delivery';
import type { DeliveryRepository, MarketDataProvider } from '../domain/ports';
import { validatePriceRows } from '../domain/price-validation';
import {
  composeDroppedTicker,
  droppedTickerDeliveryKind,
  manageUrl,
  unsubscribeHeaders,
  unsubscribeUrl,
  type LinkContext,
  type LinkSubscriber,
  type SubscriberRepository,
} from '../domain/subscriptions';

/** What {@link PendingTickersService} needs. */
export interface PendingTickersDeps {
  subscribers: Pick<SubscriberRepository, 'pendingTickers' | 'resolvePendingTicker' | 'unsentDroppedTickerNotices'>;
  /** The provider the daily run ingests from: a symbol it has bars for is tracked. */
  provider: MarketDataProvider;
  deliveries: Pick<DeliveryRepository, 'claim' | 'markSent' | 'markFailed'>;
  mailer: Mailer;
  links: LinkContext;
}

/** What one {@link PendingTickersService.check} did. */
export interface PendingCheckResult {
  /** The provider has bars for them: tracked from now on. */
  tracked: string[];
  /** The provider has none: their subscriptions removed, and an email to each of `told` subscribers recorded. */
  dropped: Array<{ ticker: string; told: number }>;
  /** "Symbol removed" emails (of this check or an earlier one) sent now. */
  noticesSent: number;
  /** Those the mail server did not take this time: still claimed, sent by the next check. */
  noticesDeferred: Array<{ ticker: string; subscriberId: number; error: string }>;
  /** No answer this time (the provider failed for a reason of its own): still pending, asked again next run. */
  unanswered: Array<{ ticker: string; reason: string }>;
}

/**
 * Pending symbols (asked for by a subscriber, tracked by nothing yet; see
 * migration 0040): the daily run asks its provider about a few of them each
 * time, before it lists what it tracks. A symbol with valid bars is tracked;
 * one without is dropped and its subscribers told in plain words.
 */
export class PendingTickersService {
  constructor(private readonly deps: PendingTickersDeps) {}

  /** Check at most `limit` pending symbols, oldest first, as of `today`; then send the "symbol removed" emails not sent yet. */
  async check(input: { today: IsoDate; limit: number }): Promise<PendingCheckResult> {
    const result: PendingCheckResult = {
      tracked: [],
      dropped: [],
      unanswered: [],
      noticesSent: 0,
      noticesDeferred: [],
    };
    const pending = input.limit < 1 ? [] : await this.deps.subscribers.pendingTickers(input.limit);
    for (const ticker of pending) {
      let exists: boolean;
      try {
        const rows = await this.deps.provider.fetchDaily({ ticker, to: input.today });
        exists = validatePriceRows(rows, { asOf: input.today }).bars.length > 0;
      } catch (error) {
        // The provider's own word that it has no such symbol (a bad-input error) drops it; anything else is asked again.
        if (!(error instanceof BadInputError)) {
          result.unanswered.push({ ticker, reason: error instanceof Error ? error.message : String(error) });
          continue;
        }
        exists = false;
      }
      const lost = await this.deps.subscribers.resolvePendingTicker(ticker, exists, input.today);
      if (exists) result.tracked.push(ticker);
      else result.dropped.push({ ticker, told: lost.length });
    }
    await this.sendNotices(result);
    return result;
  }

  /**
   * Send every "symbol removed" email claimed and not sent yet (claimed with
   * the removal, so none is lost): this check's, and those an earlier one
   * could not send (the server was down). Exactly once each (the deliveries
   * table); one the server does not take now waits for the next check.
   */
  private async sendNotices(result: PendingCheckResult): Promise<void> {
    const { links } = this.deps;
    const groups = new Map<string, { ticker: string; date: IsoDate; subscribers: LinkSubscriber[] }>();
    for (const notice of await this.deps.subscribers.unsentDroppedTickerNotices()) {
      const key = `${notice.ticker} ${notice.date}`;
      const group = groups.get(key) ?? { ticker: notice.ticker, date: notice.date, subscribers: [] };
      group.subscribers.push(notice.subscriber);
      groups.set(key, group);
    }
    for (const { ticker, date, subscribers } of groups.values()) {
      const outcome = await deliverExactlyOnce(this.deps, {
        kind: droppedTickerDeliveryKind(ticker),
        date,
        concurrency: 4,
        items: subscribers.map((subscriber) => ({
          subscriberId: subscriber.id,
          compose: () => ({
            to: subscriber.email,
            ...composeDroppedTicker({
              ticker,
              manageUrl: manageUrl(links, subscriber),
              unsubscribeUrl: unsubscribeUrl(links, subscriber),
            }),
            headers: unsubscribeHeaders(links, subscriber),
          }),
        })),
      });
      result.noticesSent += outcome.sent.length;
      result.noticesDeferred.push(...outcome.deferred.map((d) => ({ ticker, ...d })));
    }
  }
}
