import type { Client } from '@temporalio/client';
import type { Command } from 'commander';
import type { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import { loadConfig, type AppConfig } from '../config/config';
import type { Database } from '../adapters/postgres/database';
import { PostgresPriceRepository } from '../adapters/postgres/postgres-price.repository';
import { PostgresSignalRepository } from '../adapters/postgres/postgres-signal.repository';
import { PostgresSubscriberRepository } from '../adapters/postgres/postgres-subscriber.repository';
import { PostgresTrackingRepository } from '../adapters/postgres/postgres-tracking.repository';
import { RedisStrategyStateStore } from '../adapters/redis/redis-strategy-state.store';
import { connectTemporal, openDatabase, openRedis, type TemporalClientHandle } from '../composition';
import { DailyRunsService } from '../services/daily-runs.service';
import { DailyScheduleService } from '../services/daily-schedule.service';
import { MarketDataService } from '../services/market-data.service';
import { NotificationsService } from '../services/notifications.service';
import { SignalsService } from '../services/signals.service';
import { TemporalGateway } from '../services/temporal-gateway';
import { createOutput, type Output } from './output';
import { todayInNewYork } from './options';

/** The services a command calls (the API calls the same ones), built on first use. */
export interface CliServices {
  readonly dailyRuns: DailyRunsService;
  readonly dailySchedule: DailyScheduleService;
  readonly marketData: MarketDataService;
  readonly notifications: NotificationsService;
  readonly signals: SignalsService;
}

/** What a command needs, created lazily so that `algo --help` connects to nothing. */
export interface CliContext {
  config: AppConfig;
  out: Output;
  db(): Kysely<Database>;
  temporal(): Promise<Client>;
  /** The one door to Temporal (links use `temporal.uiUrl`). */
  temporalGateway(): Promise<TemporalGateway>;
  services: CliServices;
}

/** A getter that builds its value on first use. */
function lazy<T>(build: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= build());
}

/** This slice's services over the context's lazily opened connections. */
function cliServices(ctx: Omit<CliContext, 'services'>, redis: () => Redis): CliServices {
  const { config } = ctx;
  const temporal = () => ctx.temporalGateway();
  const dailyRuns = lazy(() => new DailyRunsService({
    temporal,
    today: todayInNewYork,
    strategyStates: () => {
      const tracking = new PostgresTrackingRepository(ctx.db(), config);
      return {
        prices: new PostgresPriceRepository(ctx.db()),
        signals: new PostgresSignalRepository(ctx.db()),
        states: new RedisStrategyStateStore(redis(), config.redis.keyPrefix),
        trackedTickers: () => tracking.trackedTickers(),
        strategyPlans: (tickers: readonly string[]) => tracking.strategyPlans(tickers),
      };
    },
  }));
  const dailySchedule = lazy(() => new DailyScheduleService({ temporal, taskQueue: config.temporal.taskQueue }));
  const marketData = lazy(() => new MarketDataService({
    temporal,
    today: todayInNewYork,
    prices: () => new PostgresPriceRepository(ctx.db()),
    defaults: { tickers: config.tickers, batchSize: config.ingestion.batchSize, maxConcurrentBatches: config.ingestion.maxConcurrentBatches },
  }));
  const notifications = lazy(() => new NotificationsService({
    subscribers: new PostgresSubscriberRepository(ctx.db()),
    signals: new PostgresSignalRepository(ctx.db()),
    prices: new PostgresPriceRepository(ctx.db()),
    config,
    temporal,
  }));
  const signals = lazy(() => new SignalsService({ signals: new PostgresSignalRepository(ctx.db()) }));
  return {
    get signals() { return signals(); },
    get dailyRuns() { return dailyRuns(); },
    get dailySchedule() { return dailySchedule(); },
    get marketData() { return marketData(); },
    get notifications() { return notifications(); },
  };
}

/**
 * Run a command body with a context, closing every connection it opened.
 * `cmd` is the commander command (for the global --json flag).
 */
export async function withContext(cmd: Command, body: (ctx: CliContext) => Promise<void>): Promise<void> {
  const opts = cmd.optsWithGlobals() as { json?: boolean };
  const config = loadConfig();
  let db: Kysely<Database> | undefined;
  let temporal: TemporalClientHandle | undefined;
  let redis: Redis | undefined;
  let gateway: TemporalGateway | undefined;
  const client = async () => {
    temporal ??= await connectTemporal(config, { connectTimeout: '5s' });
    return temporal.client;
  };
  const base: Omit<CliContext, 'services'> = {
    config,
    out: createOutput(Boolean(opts.json)),
    db: () => (db ??= openDatabase(config)),
    temporal: client,
    temporalGateway: async () => (gateway ??= TemporalGateway.fromConfig(await client(), config)),
  };
  const ctx: CliContext = { ...base, services: cliServices(base, () => (redis ??= openRedis(config))) };
  try {
    await body(ctx);
  } finally {
    redis?.disconnect();
    await db?.destroy();
    await temporal?.close();
  }
}
