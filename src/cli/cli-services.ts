import type { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import { CsvMarketDataProvider } from '../adapters/market-data/csv-market-data.provider';
import type { Database } from '../adapters/postgres/database';
import { ensureDatabaseExists, migrateToLatest } from '../adapters/postgres/migrate';
import { PostgresBacktestRepository } from '../adapters/postgres/postgres-backtest.repository';
import { PostgresPriceRepository } from '../adapters/postgres/postgres-price.repository';
import { PostgresReadjustmentRepository } from '../adapters/postgres/postgres-readjustment.repository';
import { PostgresRecommendationRepository } from '../adapters/postgres/postgres-recommendation.repository';
import { PostgresSavedStrategyRepository } from '../adapters/postgres/postgres-saved-strategy.repository';
import { PostgresSignalRepository } from '../adapters/postgres/postgres-signal.repository';
import { PostgresSubscriberRepository } from '../adapters/postgres/postgres-subscriber.repository';
import { PostgresTrackingRepository } from '../adapters/postgres/postgres-tracking.repository';
import { PgDumpBackupTool } from '../adapters/postgres/pg-dump-backup.tool';
import { RedisStrategyStateStore } from '../adapters/redis/redis-strategy-state.store';
import { createSubscriptionServicesOn } from '../composition';
import type { AppConfig } from '../config/config';
import type { IsoDate } from '../domain/dates';
import { BacktestsService } from '../services/backtests.service';
import { BackupsService, type TemporalDatabase } from '../services/backups.service';
import { DailyRunsService } from '../services/daily-runs.service';
import { DailyScheduleService } from '../services/daily-schedule.service';
import { latestSignalDay } from '../services/demo.service';
import { MarketDataService } from '../services/market-data.service';
import { NotificationsService } from '../services/notifications.service';
import { ReadjustmentsService } from '../services/readjustments.service';
import { RecommendationsService } from '../services/recommendations.service';
import { SignalsService } from '../services/signals.service';
import { StrategiesService } from '../services/strategies.service';
import type { SubscriptionServices } from '../services/subscription-services';
import { SweepsService } from '../services/sweeps.service';
import type { TemporalGatewayProvider } from '../services/temporal-gateway';
import { temporalDatabaseUrl, temporalFrontendAnswers } from '../stack/production-server';
import { devServerDatabaseFile } from '../stack/stack-processes';
import { todayInNewYork } from './options';

/** The services the commands call: the same classes the API's routes call (src/api/api-services.ts). */
export interface CliServices extends SubscriptionServices {
  readonly dailyRuns: DailyRunsService;
  readonly dailySchedule: DailyScheduleService;
  readonly marketData: MarketDataService;
  readonly notifications: NotificationsService;
  readonly signals: SignalsService;
  readonly backtests: BacktestsService;
  readonly sweeps: SweepsService;
  readonly recommendations: RecommendationsService;
  readonly strategies: StrategiesService;
  readonly backups: BackupsService;
  readonly readjustments: ReadjustmentsService;
  /** Create the database if needed and migrate it to the latest schema. */
  migrate(): Promise<{ database: string; created: boolean; applied: string[] }>;
  /** The latest day of the bundled sample with a BUY or SELL signal (`algo demo`). */
  latestSignalDay(): Promise<IsoDate>;
}

/** What the services are built over: the context's connections, each opened on first use. */
export interface CliConnections {
  config: AppConfig;
  db(): Kysely<Database>;
  redis(): Redis;
  temporal: TemporalGatewayProvider;
}

/** The app database's name, from its URL. */
const databaseName = (config: AppConfig): string => decodeURIComponent(new URL(config.database.url).pathname.slice(1));

/** Production mode's Temporal databases for `algo backup` and `algo restore`, and whether its server answers. */
function productionTemporalDatabases(config: AppConfig) {
  const { database, visibilityDatabase } = config.temporal.production;
  const databases: TemporalDatabase[] = [
    { role: 'temporal' as const, database },
    { role: 'temporal_visibility' as const, database: visibilityDatabase },
  ].map((d) => ({ ...d, tool: new PgDumpBackupTool(temporalDatabaseUrl(config, d.database)) }));
  return { databases, address: config.temporal.address, serverAnswers: () => temporalFrontendAnswers(config) };
}

/** A getter that builds its value on first use. */
function lazy<T>(build: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= build());
}

/** An object whose properties are built on first read, each once. */
function lazyProperties<T extends object>(builders: { [K in keyof T]: () => T[K] }): T {
  const target = {} as T;
  for (const key of Object.keys(builders) as Array<keyof T>) {
    const get = lazy(builders[key]);
    Object.defineProperty(target, key, { get, enumerable: true });
  }
  return target;
}

/**
 * The CLI's composition of services over real adapters, each built on first
 * use (so `algo calendar` opens no database). `close` releases what they opened
 * besides the connections (the mailer's pool).
 */
export function createCliServices(connections: CliConnections): CliServices & { close(): void } {
  const { config, db, redis, temporal } = connections;
  const prices = lazy(() => new PostgresPriceRepository(db()));
  const signalRepository = lazy(() => new PostgresSignalRepository(db()));
  const subscriptions = lazy(() => createSubscriptionServicesOn(db(), config, { maxConnections: 1 }));
  const dailyRuns = lazy(
    () =>
      new DailyRunsService({
        temporal,
        today: todayInNewYork,
        strategyStates: () => {
          const tracking = new PostgresTrackingRepository(db(), config);
          return {
            prices: prices(),
            signals: signalRepository(),
            states: new RedisStrategyStateStore(redis(), config.redis.keyPrefix),
            trackedTickers: () => tracking.trackedTickers(),
            strategyPlans: (tickers: readonly string[]) => tracking.strategyPlans(tickers),
          };
        },
      }),
  );
  let subscriptionsOpened = false;
  const services = lazyProperties<Omit<CliServices, 'migrate' | 'latestSignalDay'>>({
    subscriptions: () => {
      subscriptionsOpened = true;
      return subscriptions().subscriptions;
    },
    tickers: () => {
      subscriptionsOpened = true;
      return subscriptions().tickers;
    },
    dailyRuns,
    readjustments: () =>
      new ReadjustmentsService({ temporal, readjustments: lazy(() => new PostgresReadjustmentRepository(db())) }),
    dailySchedule: () => new DailyScheduleService({ temporal, taskQueue: config.temporal.taskQueue }),
    marketData: () =>
      new MarketDataService({
        temporal,
        today: todayInNewYork,
        prices,
        defaults: {
          tickers: config.tickers,
          batchSize: config.ingestion.batchSize,
          maxConcurrentBatches: config.ingestion.maxConcurrentBatches,
        },
      }),
    notifications: () =>
      new NotificationsService({
        subscribers: new PostgresSubscriberRepository(db()),
        signals: signalRepository(),
        prices: prices(),
        config,
        temporal,
      }),
    signals: () => new SignalsService({ signals: signalRepository() }),
    backtests: () => new BacktestsService({ backtests: new PostgresBacktestRepository(db()), temporal }),
    sweeps: () => new SweepsService({ temporal }),
    recommendations: () =>
      new RecommendationsService({ recommendations: new PostgresRecommendationRepository(db()), temporal }),
    strategies: () =>
      new StrategiesService({
        prices: prices(),
        defaultTickers: config.tickers,
        saved: new PostgresSavedStrategyRepository(db()),
      }),
    backups: () =>
      new BackupsService({
        tool: new PgDumpBackupTool(config.database.url),
        database: databaseName(config),
        migrate: async () => ((await migrateToLatest(db())).results ?? []).map((r) => r.migrationName),
        rebuildStates: () => dailyRuns().rebuildStates(),
        devServerFile: devServerDatabaseFile(config),
        temporal: config.temporal.server === 'postgres' ? productionTemporalDatabases(config) : undefined,
      }),
  });
  return Object.assign(services, {
    async migrate() {
      const created = await ensureDatabaseExists(config.database.url);
      const result = await migrateToLatest(db());
      const applied = (result.results ?? []).map((r) => r.migrationName);
      return { database: databaseName(config), created, applied };
    },
    latestSignalDay: () =>
      latestSignalDay({
        provider: new CsvMarketDataProvider(config.marketData.csvDir),
        tickers: config.tickers,
        strategies: config.strategies,
      }),
    close() {
      if (subscriptionsOpened) subscriptions().close();
    },
  });
}
