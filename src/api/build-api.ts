import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { isoDateInZone } from '../domain/dates';
import { listStrategies } from '../domain/strategies/registry';
import { SubscriptionService } from '../domain/subscriptions';
import type { ApiContext, ApiDeps } from './api-context';
import { requireApiKey } from './auth';
import { installErrorHandling } from './errors';
import { createRateLimits, registerRateLimitPlugin } from './rate-limits';
import { registerSignalRoutes } from './routes/signals.routes';
import { registerSubscriptionRoutes } from './routes/subscriptions.routes';
import { registerTickerRoutes } from './routes/tickers.routes';
import { registerBacktestRoutes } from './routes/backtests.routes';
import { registerPlaygroundRoutes } from './routes/playground.routes';
import { registerStrategyRoutes } from './routes/strategies.routes';
import { registerResearchRoutes } from './routes/research.routes';
import { registerResearchRunRoutes } from './routes/research-runs.routes';
import { registerRunRoutes } from './routes/runs.routes';
import { registerNotificationRoutes } from './routes/notification.routes';
import { ServiceUnavailableError } from '../domain/errors';
import { DailyRunsService } from '../services/daily-runs.service';
import { NotificationsService } from '../services/notifications.service';
import { SignalsService } from '../services/signals.service';
import { registerWebApp } from './web-app';
import { registerManageRoutes } from './routes/manage.routes';

export type { ApiDeps } from './api-context';

const DEFAULT_BODY_LIMIT = 64 * 1024;

/**
 * The HTTP API: the old notification service's endpoints plus subscribe,
 * confirm, unsubscribe, signals and daily runs; OpenAPI docs at /docs. Every
 * body, param and query is validated by zod; errors never reveal internals.
 * Call `await app.ready()` (or `listen`) before use.
 */
export function buildApi(deps: ApiDeps): FastifyInstance {
  const app = Fastify({
    logger: deps.logger ?? false,
    bodyLimit: deps.bodyLimit ?? DEFAULT_BODY_LIMIT,
    // Bound what a client can make the parser do.
    routerOptions: { maxParamLength: 100 },
    // A client aborting early must not crash or leak.
    return503OnClosing: true,
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installErrorHandling(app);

  const strategiesFor = (ticker: string) =>
    (deps.config.strategies.perTicker[ticker] ?? deps.config.strategies.default).map((s) => s.name);
  const today = deps.today ?? (() => isoDateInZone(Date.now(), 'America/New_York'));
  const temporal = async () => {
    if (!deps.temporal) throw new ServiceUnavailableError('the workflow service (Temporal) is not configured');
    return deps.temporal;
  };
  const partial: Omit<ApiContext, 'limits'> = {
    deps,
    today,
    strategiesFor,
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
    admin: requireApiKey(deps.config.api.apiKey),
    service: new SubscriptionService({
      subscribers: deps.subscribers,
      changes: deps.changes,
      deliveries: deps.deliveries,
      mailer: deps.mailer,
      links: { publicUrl: deps.config.api.publicUrl, signer: deps.signer },
      knownStrategies: deps.knownStrategies ?? listStrategies().map((s) => s.name),
      strategiesFor,
    }),
  };

  void app.register(fastifySwagger, {
    openapi: {
      info: { title: 'Algo Signals API', description: 'Trading signals, subscriptions and daily runs', version: '1.0.0' },
      components: { securitySchemes: { apiKey: { type: 'apiKey', name: 'x-api-key', in: 'header' } } },
    },
    transform: jsonSchemaTransform,
  });
  void app.register(fastifySwaggerUi, { routePrefix: '/docs' });

  registerRateLimitPlugin(app, deps.rateLimit);

  void app.after(() => {
    // The limiter exists once the rate-limit plugin has loaded.
    const ctx: ApiContext = { ...partial, limits: createRateLimits(app, deps.signer, deps.rateLimit?.limits) };
    registerTickerRoutes(app, ctx);
    registerSubscriptionRoutes(app, ctx);
    registerSignalRoutes(app, ctx);
    registerBacktestRoutes(app, ctx);
    registerPlaygroundRoutes(app, ctx);
    registerStrategyRoutes(app);
    registerResearchRoutes(app, ctx);
    registerResearchRunRoutes(app, ctx);
    registerRunRoutes(app, ctx);
    registerNotificationRoutes(app, ctx);
    registerManageRoutes(app, ctx);
    if (deps.webApp !== false) registerWebApp(app, typeof deps.webApp === 'string' ? deps.webApp : undefined);
  });
  return app;
}
