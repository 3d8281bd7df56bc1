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
  type SubscriberRepository,
} from '../domain/subscriptions';

/** What {@link PendingTickersService} needs. */
export interface PendingTickersDeps {
  subscribers: Pick<SubscriberRepository, 'pendingTickers' | 'resolvePendingTicker'>;
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
  /** The provider has none: their subscriptions removed, and `told` subscribers emailed so. */
  dropped: Array<{ ticker: string; told: number }>;
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

  /** Check at most `limit` pending symbols, oldest first, as of `today`. */
  async check(input: { today: IsoDate; limit: number }): Promise<PendingCheckResult> {
    const result: PendingCheckResult = { tracked: [], dropped: [], unanswered: [] };
    if (input.limit < 1) return result;
    for (const ticker of await this.deps.subscribers.pendingTickers(input.limit)) {
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
      const lost = await this.deps.subscribers.resolvePendingTicker(ticker, exists);
      if (exists) {
        result.tracked.push(ticker);
        continue;
      }
      await this.tell(ticker, lost, input.today);
      result.dropped.push({ ticker, told: lost.length });
    }
    return result;
  }

  /** Email each subscriber who lost `ticker`, once (the deliveries table), with their manage and unsubscribe links. */
  private async tell(ticker: string, subscribers: ReadonlyArray<{ id: number; email: string }>, today: IsoDate) {
    if (subscribers.length === 0) return;
    const { links } = this.deps;
    await deliverExactlyOnce(this.deps, {
      kind: droppedTickerDeliveryKind(ticker),
      date: today,
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
  }
}
