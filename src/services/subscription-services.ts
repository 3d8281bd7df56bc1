import type { Mailer } from '../domain/mailer';
import type { DeliveryRepository, RecommendationStore, SignalRepository } from '../domain/ports';
import type { StrategiesConfig } from '../domain/strategies/configured-strategies';
import type {
  LinkContext,
  ProofOfWork,
  SubscriberRepository,
  SubscriptionChangeRepository,
  TickerLimits,
} from '../domain/subscriptions';
import { SubscriptionsService } from './subscriptions.service';
import { TickersService } from './tickers.service';

/** The ports the subscription and ticker use cases run on; the API and the CLI give the same ones. */
export interface SubscriptionPorts {
  subscribers: SubscriberRepository;
  /** Subscription changes pending confirmation (the public subscribe path, the manage page). */
  changes?: SubscriptionChangeRepository;
  deliveries: Pick<DeliveryRepository, 'claim' | 'markSent' | 'markFailed'>;
  signals: Pick<SignalRepository, 'list'>;
  mailer: Mailer;
  links: LinkContext;
  /** Registered strategies (besides `recommended`), with what they do. */
  knownStrategies: () => ReadonlyArray<{ name: string; description: string }>;
  config: { tickers: readonly string[]; strategies: StrategiesConfig; subscriptions?: TickerLimits };
  /** The subscribe form's proof of work (the API's; none for the CLI). */
  proofOfWork?: ProofOfWork;
  /** Current recommendations: what a "recommended" subscription follows. */
  recommendations?: Pick<RecommendationStore, 'current'>;
}

/** The subscription and ticker use cases. */
export interface SubscriptionServices {
  subscriptions: SubscriptionsService;
  tickers: TickersService;
}

/** Build the subscription and ticker services over `ports`: the one way the API and the CLI get them. */
export function createSubscriptionServices(ports: SubscriptionPorts): SubscriptionServices {
  const subscriptions = new SubscriptionsService({
    subscribers: ports.subscribers,
    changes: ports.changes,
    deliveries: ports.deliveries,
    mailer: ports.mailer,
    links: ports.links,
    knownStrategies: ports.knownStrategies,
    strategies: ports.config.strategies,
    configuredTickers: ports.config.tickers,
    limits: ports.config.subscriptions,
    proofOfWork: ports.proofOfWork,
    recommendations: ports.recommendations,
  });
  const tickers = new TickersService({
    subscribers: ports.subscribers,
    signals: ports.signals,
    subscriptions,
    config: ports.config,
  });
  return { subscriptions, tickers };
}
