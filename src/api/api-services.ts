import { ServiceUnavailableError } from '../domain/errors';
import type { IsoDate } from '../domain/dates';
import { listStrategies } from '../domain/strategies/registry';
import { BacktestsService } from '../services/backtests.service';
import { DailyRunsService } from '../services/daily-runs.service';
import { NotificationsService } from '../services/notifications.service';
import { RecommendationsService } from '../services/recommendations.service';
import { ResearchService } from '../services/research.service';
import { SignalsService } from '../services/signals.service';
import { StrategiesService } from '../services/strategies.service';
import { createSubscriptionServices, type SubscriptionServices } from '../services/subscription-services';
import { SweepsService } from '../services/sweeps.service';
import type { TemporalGatewayProvider } from '../services/temporal-gateway';
import type { ApiDeps } from './api-context';

/** Every use case the routes call; the CLI builds the same services over the same kinds of ports (src/cli/cli-services.ts). */
export interface ApiServices extends SubscriptionServices {
  dailyRuns: DailyRunsService;
  notifications: NotificationsService;
  signals: SignalsService;
  backtests: BacktestsService;
  sweeps: SweepsService;
  recommendations: RecommendationsService;
  /** The strategy listing, saving rule strategies and keeping saved ones loaded. */
  strategies: StrategiesService;
  /** The research pages' reads; a 503 when the server has no research repository. */
  research(): ResearchService;
}

/** The services over the API's dependencies: the one place the routes' use cases are built. */
export function createApiServices(deps: ApiDeps, today: () => IsoDate): ApiServices {
  const temporal: TemporalGatewayProvider = async () => {
    if (!deps.temporal) throw new ServiceUnavailableError('the workflow service (Temporal) is not configured');
    return deps.temporal;
  };
  const { research } = deps;
  const researchService =
    research &&
    ResearchService.require({
      ...research,
      strategies: deps.config.strategies,
      trackedTickers: async () => (await deps.subscribers.trackedTickers(deps.config.tickers)).map((t) => t.ticker),
    });
  const knownTemporal = deps.temporal ? temporal : undefined;
  return {
    ...createSubscriptionServices({
      ...deps,
      recommendations: deps.playground?.recommendations,
      links: { publicUrl: deps.config.api.publicUrl, signer: deps.signer },
      knownStrategies: () => deps.knownStrategies?.map((name) => ({ name, description: '' })) ?? listStrategies(),
    }),
    dailyRuns: new DailyRunsService({
      temporal,
      today,
      history: deps.runs?.history,
      workflowUrl: deps.runs?.workflowUrl,
      research: deps.research?.repository,
    }),
    notifications: new NotificationsService({
      subscribers: deps.subscribers,
      signals: deps.signals,
      prices: deps.prices,
      config: deps.config,
      temporal,
    }),
    signals: new SignalsService({ signals: deps.signals }),
    backtests: new BacktestsService({
      backtests: deps.backtests,
      reports: deps.reports,
      temporal: knownTemporal,
      prices: deps.playground?.bars ?? deps.prices,
      playground: deps.playground?.retention,
    }),
    sweeps: new SweepsService({ sweeps: deps.playground?.sweeps, temporal: knownTemporal }),
    recommendations: new RecommendationsService({
      recommendations: deps.playground?.recommendations,
      temporal: knownTemporal,
    }),
    strategies: new StrategiesService({
      prices: deps.prices,
      defaultTickers: deps.config.tickers,
      saved: deps.savedStrategies,
    }),
    research: () => {
      if (!researchService) throw new ServiceUnavailableError('research reads are not configured');
      return researchService;
    },
  };
}
