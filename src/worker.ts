import fs from 'node:fs';
import { NativeConnection, Worker, type Logger } from '@temporalio/worker';
import { installWorkerRuntime } from './worker-runtime';
import { loadConfig, type AppConfig } from './config/config';
import { loadStrategyModules } from './config/strategy-modules';
import { PostgresPriceRepository } from './adapters/postgres/postgres-price.repository';
import { PostgresSignalRepository } from './adapters/postgres/postgres-signal.repository';
import { PostgresReadjustmentRepository } from './adapters/postgres/postgres-readjustment.repository';
import { PostgresDeliveryRepository } from './adapters/postgres/postgres-delivery.repository';
import { PostgresTrackingRepository } from './adapters/postgres/postgres-tracking.repository';
import { PostgresPublicBacktestRepository } from './adapters/postgres/postgres-public-backtest.repository';
import { PostgresBacktestRepository } from './adapters/postgres/postgres-backtest.repository';
import { createObjectStore } from './adapters/object-store/object-store.factory';
import { RedisStrategyStateStore } from './adapters/redis/redis-strategy-state.store';
import { PostgresSweepRepository } from './adapters/postgres/postgres-sweep.repository';
import { PostgresRecommendationRepository } from './adapters/postgres/postgres-recommendation.repository';
import { PostgresSavedStrategyRepository } from './adapters/postgres/postgres-saved-strategy.repository';
import { StrategiesService } from './services/strategies.service';
import { RedisRecommendationCache } from './adapters/redis/redis-recommendation.cache';
import { createMarketDataProvider } from './adapters/market-data/market-data.factory';
import type { MarketDataProviderName } from './domain/market-data';
import type { MarketDataProvider } from './domain/ports';
import { temporalConnectionOptions } from './adapters/temporal/connection';
import { manageUrl, signalUrl, unsubscribeHeaders, unsubscribeUrl } from './domain/subscriptions';
import { createActivities, type ActivityDependencies } from './activities';
import type { DailyRunDefaults } from './activities/daily-run.activities';
import { createMailer, lazyTemporalClient, linkContext, openDatabase, openRedis } from './composition';
import { PostgresAlertLog } from './adapters/postgres/postgres-alert.log';
import { TemporalDailyRunLookup } from './adapters/temporal/temporal-daily-run-lookup';
import { temporalWorkflowListUrl, temporalWorkflowUrl } from './adapters/temporal/ui-links';
import { dailyRunDateOfWorkflowId } from './workflows/workflow-ids';
import { PostgresSubscriberRepository } from './adapters/postgres/postgres-subscriber.repository';
import { isoDateInZone } from './domain/dates';
import { PendingTickersService } from './services/pending-tickers.service';

/**
 * The worker's composition root: it wires the real clients (built by
 * src/composition.ts, shared with the API and the CLI) into the activities'
 * dependencies. Everything else receives them through `createActivities(deps)`. Tests call this with
 * their own config (a private database, Redis prefix and mail sink).
 */
export function createDependencies(config: AppConfig) {
  const db = openDatabase(config, { max: 16 });
  const redis = openRedis(config);
  const prices = new PostgresPriceRepository(db);
  const tracking = new PostgresTrackingRepository(db, config);
  const mailer = createMailer(config, { redis });
  const links = linkContext(config);
  const reports = createObjectStore(config);
  const sweeps = new PostgresSweepRepository(db);
  const recommendations = new PostgresRecommendationRepository(db);
  const strategies = new StrategiesService({
    prices,
    defaultTickers: config.tickers,
    saved: new PostgresSavedStrategyRepository(db),
    warn: (message) => console.warn(message),
  });
  // The watchdog reads the daily runs from visibility; connected on its first check.
  const temporal = lazyTemporalClient(config);
  const marketData = marketDataProviders(config);
  const deliveries = new PostgresDeliveryRepository(db);
  const pendingTickers = new PendingTickersService({
    subscribers: new PostgresSubscriberRepository(db),
    provider: marketData(dailyRunDefaults(config)),
    deliveries,
    mailer,
    links,
  });
  const deps: ActivityDependencies = {
    prices,
    runs: prices,
    readjustments: new PostgresReadjustmentRepository(db),
    marketData,
    signals: new PostgresSignalRepository(db),
    states: new RedisStrategyStateStore(redis, config.redis.keyPrefix),
    // A daily run first asks its provider about a few pending symbols (config subscriptions.pendingChecksPerRun).
    trackedTickers: async () => {
      const checked = await pendingTickers.check({
        today: isoDateInZone(Date.now(), 'America/New_York'),
        limit: config.subscriptions.pendingChecksPerRun,
      });
      // The mail server did not take them: still claimed, the next daily run sends them.
      for (const n of checked.noticesDeferred)
        console.warn(`"${n.ticker} was removed" email to subscriber ${n.subscriberId} not sent yet: ${n.error}`);
      return tracking.trackedTickers();
    },
    strategyPlans: (tickers) => tracking.strategyPlans(tickers),
    deliveries,
    mailer,
    links: {
      unsubscribe: ({ subscriberId, email }) => ({
        url: unsubscribeUrl(links, { id: subscriberId, email }),
        headers: unsubscribeHeaders(links, { id: subscriberId, email }),
      }),
      manage: ({ subscriberId, email }) => manageUrl(links, { id: subscriberId, email }),
      signal: (s) => signalUrl(config.api.publicUrl, s),
    },
    sendConcurrency: 10,
    backtests: new PostgresBacktestRepository(db),
    reports,
    riskFreeRate: config.backtests.riskFreeRate,
    tickerBars: sweeps,
    sweeps,
    recommendations,
    recommendationCache: new RedisRecommendationCache(redis, config.redis.keyPrefix),
    recommendationNotes: (subscriberIds) => recommendations.digestNotes(subscriberIds),
    runDefaults: dailyRunDefaults(config),
    refreshStrategies: () => strategies.refreshSaved(),
    playground: { publicBacktests: new PostgresPublicBacktestRepository(db), reports, policy: config.playground },
    watchdog: {
      runs: new TemporalDailyRunLookup(
        temporal.client,
        config.temporal.namespace,
        (workflowId, runId) => temporalWorkflowUrl(config, workflowId, runId),
        dailyRunDateOfWorkflowId,
      ),
      alerts: new PostgresAlertLog(db),
      mailer,
      recipient: config.alerts.email,
      deadline: config.alerts.deadline,
      runsUrl: temporalWorkflowListUrl(config, 'dailyRunWorkflow'),
    },
  };
  return {
    deps,
    db,
    redis,
    mailer,
    async close() {
      mailer.close?.();
      reports.close?.();
      await temporal.close();
      redis.disconnect();
      await db.destroy();
    },
  };
}

/** What a daily run started without them (the schedule passes `{}`) uses: this worker's config. */
export function dailyRunDefaults(config: AppConfig): DailyRunDefaults {
  const { provider, providers, csvDir } = config.marketData;
  return {
    provider: providers?.[0] ?? provider,
    ...(providers ? { providers: [...providers] } : {}),
    csvDir,
    batchSize: config.ingestion.batchSize,
    maxConcurrentBatches: config.ingestion.maxConcurrentBatches,
    emailBatchSize: config.mail.batchSize,
  };
}

/**
 * The worker's providers, built once per name (csv: per directory) so that all
 * batches of this process share each HTTP provider's rate limiter
 * (`marketData.<provider>.requestsPerMinute`).
 */
export function marketDataProviders(config: AppConfig, fetchImpl?: typeof fetch) {
  const built = new Map<string, MarketDataProvider>();
  return (selection: { provider: MarketDataProviderName; csvDir?: string }): MarketDataProvider => {
    const csvDir = selection.csvDir ?? config.marketData.csvDir;
    const key = selection.provider === 'csv' ? `csv:${csvDir}` : selection.provider;
    let provider = built.get(key);
    if (!provider) {
      provider = createMarketDataProvider(selection.provider, {
        csvDir,
        fetch: fetchImpl,
        yahoo: config.marketData.yahoo,
        alphaVantage: config.marketData.alphaVantage,
      });
      built.set(key, provider);
    }
    return provider;
  };
}

/** Start a worker on the configured task queue; resolves when it stops (SIGINT/SIGTERM). */
export async function runWorker(config: AppConfig = loadConfig()): Promise<void> {
  // Before any connection: a broken or peeking plugin stops the start with its path.
  await loadStrategyModules(config.strategies.modules ?? []);
  const logger = installWorkerRuntime(config);
  const { deps, mailer, close } = createDependencies(config);
  const connection = await NativeConnection.connect(temporalConnectionOptions(config));
  try {
    const worker = await Worker.create({
      connection,
      namespace: config.temporal.namespace,
      taskQueue: config.temporal.taskQueue,
      workflowsPath: require.resolve('./workflows'),
      activities: createActivities(deps),
      // On SIGTERM, stop polling and let running activities finish: an email
      // page cut short would resend, on retry, what it sent before the mark.
      shutdownGraceTime: '30s',
    });
    logger.info(
      `worker ready: task queue ${config.temporal.taskQueue} on ${config.temporal.address} (namespace ${config.temporal.namespace})`,
      config.worker.metricsAddress ? { metrics: `http://${config.worker.metricsAddress}/metrics` } : {},
    );
    void warnOnMailProblem(mailer, config, logger);
    const stopHealth = config.worker.healthFile
      ? touchWhileRunning(worker, config.worker.healthFile, logger)
      : undefined;
    try {
      await worker.run();
    } finally {
      stopHealth?.();
    }
  } finally {
    await connection.close();
    await close();
  }
}

/** How often the health file is touched; a health check calls the worker dead when it is much older. */
export const HEALTH_FILE_INTERVAL_MS = 10_000;

/**
 * Touch `file` now and every {@link HEALTH_FILE_INTERVAL_MS} while the worker
 * is RUNNING (the Docker health check reads its age); returns the stopper.
 */
export function touchWhileRunning(
  worker: Pick<Worker, 'getState'>,
  file: string,
  logger: Pick<Logger, 'warn'> = { warn: (message) => console.warn(message) },
): () => void {
  const touch = () => {
    if (worker.getState() !== 'RUNNING') return;
    try {
      fs.writeFileSync(file, `${new Date().toISOString()}\n`);
    } catch (err) {
      logger.warn(`worker: cannot write the health file ${file}: ${(err as Error).message}`);
    }
  };
  touch();
  const timer = setInterval(touch, HEALTH_FILE_INTERVAL_MS);
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * Say at start, not at the first fan-out, when the SMTP server refuses the
 * configured login or cannot be reached. Only a warning: the worker has
 * other work, and each run still fails loudly on a refused login.
 */
async function warnOnMailProblem(
  mailer: ReturnType<typeof createMailer>,
  config: AppConfig,
  logger: Pick<Logger, 'warn'>,
): Promise<void> {
  try {
    await mailer.verify();
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    logger.warn(`worker: warning: email to ${config.mail.host}:${config.mail.port} will fail until fixed: ${message}`);
  }
}

if (require.main === module) {
  runWorker().catch((err) => {
    console.error(`worker failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
