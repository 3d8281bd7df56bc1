import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance } from 'fastify';
import {
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { isoDateInZone } from '../domain/dates';
import { configuredStrategyNames } from '../domain/strategies/configured-strategies';
import type { ApiContext, ApiDeps } from './api-context';
import { createApiServices } from './api-services';
import { createAdminAuth } from './auth';
import { installErrorHandling } from './errors';
import { createRateLimits, registerRateLimitPlugin } from './rate-limits';
import { registerSignalRoutes } from './routes/signals.routes';
import { registerSubscriptionRoutes } from './routes/subscriptions.routes';
import { registerTickerRoutes } from './routes/tickers.routes';
import { registerBacktestRoutes } from './routes/backtests.routes';
import { registerOldBacktesterRoutes } from './routes/old-backtester.routes';
import { registerPlaygroundRoutes } from './routes/playground.routes';
import { registerStrategyRoutes } from './routes/strategies.routes';
import { registerHealthRoutes } from './routes/health.routes';
import { countRequests, HttpRequestMetrics } from './http-metrics';
import { registerSweepRoutes } from './routes/sweeps.routes';
import { registerTrackRecordRoutes } from './routes/track-record.routes';
import { registerRecommendationRoutes } from './routes/recommendations.routes';
import { registerRunRoutes } from './routes/runs.routes';
import { registerNotificationRoutes } from './routes/notification.routes';
import { registerWebApp } from './web-app';
import { registerManageRoutes } from './routes/manage.routes';
import { registerEmailLinkRoutes } from './routes/email-links.routes';

export type { ApiDeps } from './api-context';

const DEFAULT_BODY_LIMIT = 64 * 1024;

/** Config `api.trustProxy` as Fastify takes it: a hop count becomes "trust the nearest n hops". */
export function fastifyTrustProxy(
  value: boolean | number | string,
): boolean | string | ((address: string, hop: number) => boolean) {
  return typeof value === 'number' ? (_address, hop) => hop < value : value;
}

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
    // Behind a reverse proxy, request.ip (rate limits, logs) is the client from X-Forwarded-For.
    trustProxy: fastifyTrustProxy(deps.config.api.trustProxy ?? false),
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installErrorHandling(app);
  const metrics = new HttpRequestMetrics();
  countRequests(app, metrics);

  const strategiesFor = (ticker: string) => configuredStrategyNames(deps.config.strategies, ticker);
  const today = deps.today ?? (() => isoDateInZone(Date.now(), 'America/New_York'));
  const shared: Omit<ApiContext, 'limits' | 'admin' | 'isAdmin'> = {
    deps,
    today,
    strategiesFor,
    ...createApiServices(deps, today),
  };

  // Saved rule strategies may change in another process: bring them in before a route reads the registry.
  // A failed refresh keeps what is loaded (stale beats down); the web app's files need none.
  app.addHook('preHandler', async (request) => {
    if (request.routeOptions.url?.startsWith('/app')) return;
    await shared.strategies.refreshSaved().catch((err: unknown) => {
      request.log.warn({ err }, 'saved strategies not refreshed');
    });
  });

  void app.register(fastifySwagger, {
    openapi: {
      info: {
        title: 'Algo Signals API',
        description: 'Trading signals, subscriptions and daily runs',
        version: '1.0.0',
      },
      components: { securitySchemes: { apiKey: { type: 'apiKey', name: 'x-api-key', in: 'header' } } },
    },
    transform: jsonSchemaTransform,
  });
  void app.register(fastifySwaggerUi, { routePrefix: '/docs' });

  registerRateLimitPlugin(app, deps.rateLimit);

  void app.after(() => {
    // The limiter exists once the rate-limit plugin has loaded.
    const limits = createRateLimits(app, deps.signer, deps.rateLimit?.limits);
    // Wrong admin keys count in the shared limiter: a client guessing keys is stopped at every API process.
    const auth = createAdminAuth(deps.config.api.apiKey, limits.adminKeyFailures);
    const ctx: ApiContext = { ...shared, limits, admin: auth.require, isAdmin: auth.isAdmin };
    registerTickerRoutes(app, ctx);
    registerSubscriptionRoutes(app, ctx);
    registerEmailLinkRoutes(app, ctx);
    registerSignalRoutes(app, ctx);
    registerBacktestRoutes(app, ctx);
    registerOldBacktesterRoutes(app, ctx);
    registerPlaygroundRoutes(app, ctx);
    registerStrategyRoutes(app, ctx);
    registerHealthRoutes(app, ctx, metrics);
    registerSweepRoutes(app, ctx);
    registerRecommendationRoutes(app, ctx);
    registerTrackRecordRoutes(app, ctx);
    registerRunRoutes(app, ctx);
    registerNotificationRoutes(app, ctx);
    registerManageRoutes(app, ctx);
    if (deps.webApp !== false) registerWebApp(app, typeof deps.webApp === 'string' ? deps.webApp : undefined);
  });
  return app;
}
