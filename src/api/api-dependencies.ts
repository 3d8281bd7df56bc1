import type { Client } from '@temporalio/client';
import type { Redis } from 'ioredis';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../adapters/postgres/database';
import { PostgresBacktestRepository } from '../adapters/postgres/postgres-backtest.repository';
import { PostgresDeliveryRepository } from '../adapters/postgres/postgres-delivery.repository';
import { PostgresPublicBacktestRepository } from '../adapters/postgres/postgres-public-backtest.repository';
import { PostgresPriceRepository } from '../adapters/postgres/postgres-price.repository';
import { PostgresSavedStrategyRepository } from '../adapters/postgres/postgres-saved-strategy.repository';
import { PostgresRecommendationRepository } from '../adapters/postgres/postgres-recommendation.repository';
import { PostgresResearchRepository } from '../adapters/postgres/postgres-research.repository';
import { PostgresSignalRepository } from '../adapters/postgres/postgres-signal.repository';
import { PostgresSubscriberRepository } from '../adapters/postgres/postgres-subscriber.repository';
import { PostgresSubscriptionChangeRepository } from '../adapters/postgres/postgres-subscription-change.repository';
import { PostgresSweepRepository } from '../adapters/postgres/postgres-sweep.repository';
import { HashcashProofOfWork } from '../adapters/proof-of-work/hashcash-proof-of-work';
import { TemporalDailyRunHistory } from '../adapters/temporal/temporal-daily-run-history';
import { createTokenSigner } from '../composition';
import type { AppConfig } from '../config/config';
import type { Mailer } from '../domain/mailer';
import type { ObjectStore } from '../domain/object-store';
import { TemporalGateway } from '../services/temporal-gateway';
import type { ApiDeps } from './api-context';
import { dependencyChecks } from './readiness';

/** The clients the API's dependencies are built over (main.ts opens them; a test opens its own). */
export interface ApiClients {
  db: Kysely<Database>;
  redis: Redis;
  temporal: Client;
  mailer: Mailer;
  reports: ObjectStore;
}

/** Every dependency of the API wired over real clients: what main.ts serves, and what the fuzz test walks. */
export function apiDependencies(config: AppConfig, clients: ApiClients): ApiDeps {
  const { db, redis, temporal, mailer, reports } = clients;
  const gateway = TemporalGateway.fromConfig(temporal, config);
  return {
    config,
    backtests: new PostgresBacktestRepository(db),
    reports,
    playground: {
      startsPerMinute: config.playground.startsPerMinute,
      retention: { publicBacktests: new PostgresPublicBacktestRepository(db), reports, policy: config.playground },
      bars: new PostgresPriceRepository(db),
      sweeps: new PostgresSweepRepository(db),
      recommendations: new PostgresRecommendationRepository(db),
    },
    subscribers: new PostgresSubscriberRepository(db),
    changes: new PostgresSubscriptionChangeRepository(db),
    signals: new PostgresSignalRepository(db),
    prices: new PostgresPriceRepository(db),
    deliveries: new PostgresDeliveryRepository(db),
    savedStrategies: new PostgresSavedStrategyRepository(db),
    mailer,
    signer: createTokenSigner(config),
    ...(config.api.proofOfWork.enabled
      ? {
          proofOfWork: new HashcashProofOfWork({
            secret: config.api.tokenSecrets[0],
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
      history: new TemporalDailyRunHistory(temporal, config.temporal.namespace),
      workflowUrl: (workflowId, runId) => gateway.workflowUrl(workflowId, runId),
    },
    rateLimit: { limits: config.api.rateLimit, redis, nameSpace: `${config.redis.keyPrefix}rate-limit:` },
    healthCheck: async () => {
      await sql`select 1`.execute(db);
    },
    readinessChecks: dependencyChecks({ db, redis, temporal }),
  };
}
