import type {
  FastifyBaseLogger,
  FastifyInstance,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { AppConfig } from '../config/config';
import type { IsoDate } from '../domain/dates';
import type { Mailer } from '../domain/mailer';
import type { DeliveryRepository, SignalRepository } from '../domain/ports';
import type {
  ProofOfWork,
  SubscriberRepository,
  SubscriptionChangeRepository,
  TokenSigner,
} from '../domain/subscriptions';
import type { AdminAuth } from './auth';
import type { RateLimits, RateLimitDeps } from './rate-limits';
import type { ApiServices } from './api-services';
import type { BacktestRepository } from '../domain/ports';
import type { ObjectStore } from '../domain/object-store';
import type { TemporalGateway } from '../services/temporal-gateway';
import type { PlaygroundDeps } from './routes/playground.routes';
import type { PriceRepository, RecommendationStore, SavedStrategyRepository } from '../domain/ports';
import type { DailyRunHistory, ResearchRepository } from '../domain/research/ports';

/** What {@link buildApi} needs; tests pass real repositories and a gateway over a real or recording Temporal client. */
export interface ApiDeps {
  config: Pick<AppConfig, 'tickers' | 'strategies'> &
    Partial<Pick<AppConfig, 'subscriptions'>> & {
      api: Omit<AppConfig['api'], 'rateLimit' | 'trustProxy' | 'proofOfWork'> &
        Partial<Pick<AppConfig['api'], 'trustProxy'>>;
    };
  /** Limits of the public endpoints (main.ts: `api.rateLimit` counted in Redis); none without. */
  rateLimit?: RateLimitDeps;
  subscribers: SubscriberRepository;
  /** Subscription changes pending confirmation (the public subscribe path, the manage page). */
  changes: SubscriptionChangeRepository;
  /** Signals listed, and a signal reported by an old client recorded (POST /notification/{ticker}/send). */
  signals: Pick<SignalRepository, 'list' | 'record'>;
  /** Stored bars, to check a reported signal against our rules (409 without). */
  prices?: Pick<PriceRepository, 'bars'>;
  /** Delivery claims, for the exactly-once confirmation email. */
  deliveries: Pick<DeliveryRepository, 'claim' | 'markSent' | 'markFailed'>;
  mailer: Mailer;
  signer: TokenSigner;
  /** The subscribe form's proof of work (main.ts: over Redis); without it POST /subscriptions asks none. */
  proofOfWork?: ProofOfWork;
  /** The one door to Temporal: starts daily runs and notifications (503 without). */
  temporal?: TemporalGateway;
  /** Rule strategies saved over POST /strategies (503 without), loaded before each request. */
  savedStrategies?: SavedStrategyRepository;
  /** Registered strategy names (default: the strategy registry's). */
  knownStrategies?: readonly string[];
  /** Today's date on the exchange's clock (default: New York's). */
  today?: () => IsoDate;
  /** Checks the database answers, for GET /health. */
  healthCheck?: () => Promise<void>;
  /** GET /ready: each dependency's check by name (database, redis, temporal); a throw or 2 s of silence is down. */
  readinessChecks?: Record<string, () => Promise<void>>;
  /** Fastify logger option (default: off; main.ts turns it on). */
  logger?: boolean | Record<string, unknown>;
  /** Largest accepted request body in bytes (default 64 KiB). */
  bodyLimit?: number;
  /** Stored backtest results and the stored date range per ticker (the /backtests routes answer 503 without). */
  backtests?: Pick<BacktestRepository, 'get' | 'storedRange'>;
  /** Where backtest reports are stored (GET /backtests/{id}/report). */
  reports?: Pick<ObjectStore, 'get'>;
  /** Reads of the web app's playground and sweep/recommendation pages (bars, sweeps, recommendations). */
  playground?: PlaygroundDeps;
  /** Reads of the research pages (chart, ticker state, signal page, track record); those routes answer 503 without. */
  research?: {
    repository: ResearchRepository;
    prices: Pick<PriceRepository, 'bars' | 'barsOfTickers'>;
    recommendations: Pick<RecommendationStore, 'current'>;
  };
  /** Recent daily runs for GET /runs (503 without) and the link of a run in the Temporal Web UI. */
  runs?: { history: DailyRunHistory; workflowUrl(workflowId: string, runId: string): string };
  /** Serve the web app under /app/ (default: from dist/web); a string names another build directory, false turns it off. */
  webApp?: boolean | string;
}

/** The fastify instance with zod typing. */
export type ZodApp = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  ZodTypeProvider
>;

/** What the route modules share: the services they call, and the few things every route needs. */
export interface ApiContext extends ApiServices {
  deps: ApiDeps;
  today: () => IsoDate;
  /** The rate limiter: preHandlers per route, per client and per address. */
  limits: RateLimits;
  /** onRequest hook answering 401 without the admin key (429 after too many wrong ones from this client). */
  admin: AdminAuth['require'];
  /** True with the admin key, false without one, 401 with a wrong one: for answers the key only adds detail to. */
  isAdmin: AdminAuth['isAdmin'];
  /** The configured strategies a ticker runs. */
  strategiesFor(ticker: string): string[];
}
