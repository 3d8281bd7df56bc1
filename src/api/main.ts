import { HashcashProofOfWork } from '../adapters/proof-of-work/hashcash-proof-of-work';
import { apiLoggerOptions } from './logging';
import { sql } from 'kysely';
import { loadConfig } from '../config/config';
import { PostgresDeliveryRepository } from '../adapters/postgres/postgres-delivery.repository';
import { PostgresSignalRepository } from '../adapters/postgres/postgres-signal.repository';
import { PostgresSubscriberRepository } from '../adapters/postgres/postgres-subscriber.repository';
import { PostgresSubscriptionChangeRepository } from '../adapters/postgres/postgres-subscription-change.repository';
import { PostgresBacktestRepository } from '../adapters/postgres/postgres-backtest.repository';
import { PostgresPriceRepository } from '../adapters/postgres/postgres-price.repository';
import { PostgresRecommendationRepository } from '../adapters/postgres/postgres-recommendation.repository';
import { PostgresSweepRepository } from '../adapters/postgres/postgres-sweep.repository';
import { createObjectStore } from '../adapters/object-store/object-store.factory';
import { connectTemporal, createMailer, createTokenSigner, openDatabase, openRedis } from '../composition';
import { buildApi } from './build-api';
import { TemporalGateway } from '../services/temporal-gateway';
import { PostgresResearchRepository } from '../adapters/postgres/postgres-research.repository';
import { TemporalDailyRunHistory } from '../adapters/temporal/temporal-daily-run-history';
import { unsafeListenReason } from './listen-guard';

/** The API process (`tsx src/api/main.ts`, started by `algo stack up`): builds the real clients and listens. */
async function main(): Promise<void> {
  const config = loadConfig();
  const unsafe = unsafeListenReason(config.api);
  if (unsafe) throw new Error(unsafe);
  const db = openDatabase(config);
  const redis = openRedis(config);
  // Lazy: the API serves subscriptions and signals even while Temporal is still starting.
  const temporal = await connectTemporal(config, { lazy: true });
  const { client } = temporal;
  const gateway = TemporalGateway.fromConfig(client, config);
  const mailer = createMailer(config, { maxConnections: 2 });
  const reports = createObjectStore(config);
  const app = buildApi({
    config,
    backtests: new PostgresBacktestRepository(db),
    reports,
    playground: {
      bars: new PostgresPriceRepository(db),
      sweeps: new PostgresSweepRepository(db),
      recommendations: new PostgresRecommendationRepository(db),
    },
    subscribers: new PostgresSubscriberRepository(db),
    changes: new PostgresSubscriptionChangeRepository(db),
    signals: new PostgresSignalRepository(db),
    prices: new PostgresPriceRepository(db),
    deliveries: new PostgresDeliveryRepository(db),
    mailer,
    signer: createTokenSigner(config),
    ...(config.api.proofOfWork.enabled
      ? {
          proofOfWork: new HashcashProofOfWork({
            secret: config.api.tokenSecret,
            redis,
            keyPrefix: `${config.redis.keyPrefix}proof-of-work:`,
            maxNumber: config.api.proofOfWork.maxNumber,
            expiresSeconds: config.api.proofOfWork.expiresSeconds,
          }),
        }
      : {}),
    temporal: gateway,
    research: {
      repository: new PostgresResearchRepository(db),
      prices: new PostgresPriceRepository(db),
      recommendations: new PostgresRecommendationRepository(db),
    },
    runs: {
      history: new TemporalDailyRunHistory(client, config.temporal.namespace),
      workflowUrl: (workflowId, runId) => gateway.workflowUrl(workflowId, runId),
    },
    rateLimit: { limits: config.api.rateLimit, redis, nameSpace: `${config.redis.keyPrefix}rate-limit:` },
    healthCheck: async () => {
      await sql`select 1`.execute(db);
    },
    logger: apiLoggerOptions(process.env.LOG_LEVEL ?? 'info'),
  });

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info(`${signal}: shutting down`);
    await app.close();
    mailer.close();
    reports.close?.();
    await temporal.close();
    await db.destroy();
    redis.disconnect();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));

  await app.listen({ host: config.api.host, port: config.api.port });
  process.stdout.write(`api ready on http://${config.api.host}:${config.api.port}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`api failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
