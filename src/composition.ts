import { Client, Connection } from '@temporalio/client';
import type { Duration } from '@temporalio/common';
import { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import type { AppConfig } from './config/config';
import { createDatabase, type Database } from './adapters/postgres/database';
import { NodemailerMailer } from './adapters/email/nodemailer-mailer';
import { RateLimitedMailer, type ClosableMailer } from './adapters/email/rate-limited.mailer';
import { RedisSendRateLimiter } from './adapters/redis/redis-send-rate.limiter';
import { HmacTokenSigner } from './adapters/tokens/hmac-token.signer';
import { temporalConnectionOptions } from './adapters/temporal/connection';
import type { LinkContext } from './domain/subscriptions';
import { listStrategies } from './domain/strategies/registry';
import { PostgresDeliveryRepository } from './adapters/postgres/postgres-delivery.repository';
import { PostgresRecommendationRepository } from './adapters/postgres/postgres-recommendation.repository';
import { PostgresSignalRepository } from './adapters/postgres/postgres-signal.repository';
import { PostgresSubscriberRepository } from './adapters/postgres/postgres-subscriber.repository';
import { PostgresSubscriptionChangeRepository } from './adapters/postgres/postgres-subscription-change.repository';
import { createSubscriptionServices, type SubscriptionServices } from './services/subscription-services';

/**
 * The one place that builds real clients from config. The worker's
 * composition root (src/worker.ts), the API (src/api/main.ts) and the CLI
 * (src/cli/context.ts) all call these, so a setting (SMTP auth, pool size,
 * Temporal TLS) is read the same way by every process.
 */

/** A Kysely database over a `pg` pool of at most `max` connections. */
export function openDatabase(config: AppConfig, options: { max?: number } = {}): Kysely<Database> {
  return createDatabase(config.database.url, options);
}

/** An ioredis client; commands fail after 3 retries instead of queueing forever. */
export function openRedis(config: AppConfig): Redis {
  return new Redis(config.redis.url, { maxRetriesPerRequest: 3 });
}

/**
 * The SMTP mailer of `config.mail`; `maxConnections` bounds its pool (the
 * worker fans out, the CLI sends one). With `mail.maxPerSecond` set, every
 * message waits for a slot counted in Redis (on `redis`, else a connection of
 * its own, closed with the mailer), so the worker processes, the API and the
 * CLI send at that rate together.
 */
export function createMailer(
  config: AppConfig,
  options: { maxConnections?: number; redis?: Redis } = {},
): ClosableMailer {
  const { host, port, secure, user, password, from, maxPerSecond } = config.mail;
  const smtp = new NodemailerMailer({
    host,
    port,
    secure,
    auth: user ? { user, pass: password ?? '' } : undefined,
    from,
    maxConnections: options.maxConnections,
  });
  if (maxPerSecond === undefined) return smtp;
  const redis = options.redis ?? openRedis(config);
  const limiter = new RedisSendRateLimiter(redis, { prefix: config.redis.keyPrefix, maxPerSecond });
  return new RateLimitedMailer(smtp, limiter, options.redis ? undefined : () => redis.disconnect());
}

/** The signer of confirm, unsubscribe and manage tokens: `api.tokenSecrets`, the links' lifetimes. */
export function createTokenSigner(config: AppConfig): HmacTokenSigner {
  const { confirmLinkDays, manageLinkDays } = config.subscriptions;
  return new HmacTokenSigner(config.api.tokenSecrets, { confirmLinkDays, manageLinkDays });
}

/** What link builders need: the public base URL and the token signer. */
export function linkContext(config: AppConfig): LinkContext {
  return { publicUrl: config.api.publicUrl, signer: createTokenSigner(config) };
}

/**
 * The subscription and ticker services over Postgres, this config's links and
 * an SMTP mailer of at most `maxConnections` (the CLI's; the API passes its
 * own ports to the same createSubscriptionServices). `close` closes the mailer.
 */
export function createSubscriptionServicesOn(
  db: Kysely<Database>,
  config: AppConfig,
  options: { maxConnections?: number } = {},
): SubscriptionServices & { close(): void } {
  const mailer = createMailer(config, options);
  const services = createSubscriptionServices({
    subscribers: new PostgresSubscriberRepository(db),
    changes: new PostgresSubscriptionChangeRepository(db),
    deliveries: new PostgresDeliveryRepository(db),
    signals: new PostgresSignalRepository(db),
    recommendations: new PostgresRecommendationRepository(db),
    mailer,
    links: linkContext(config),
    knownStrategies: listStrategies,
    config,
  });
  return { ...services, close: () => mailer.close() };
}

/** A Temporal client and the connection to close. */
export interface TemporalClientHandle {
  client: Client;
  close(): Promise<void>;
}

/**
 * A Temporal client for the configured namespace. `lazy` connects on first use
 * (the API serves subscriptions while Temporal is still starting); otherwise
 * it connects now, within `connectTimeout`, and says how to start the stack.
 */
export async function connectTemporal(
  config: AppConfig,
  options: { lazy?: boolean; connectTimeout?: Duration } = {},
): Promise<TemporalClientHandle> {
  if (options.lazy) return lazyTemporalClient(config);
  let connection: Connection;
  try {
    connection = await Connection.connect({
      ...temporalConnectionOptions(config),
      connectTimeout: options.connectTimeout ?? '5s',
    });
  } catch (err) {
    throw new Error(
      `cannot reach Temporal at ${config.temporal.address} (${(err as Error).message}); start it with: npm run algo -- stack up`,
    );
  }
  return {
    client: new Client({ connection, namespace: config.temporal.namespace }),
    close: () => connection.close().catch(() => undefined),
  };
}

/** A Temporal client that connects on first use (built synchronously: the worker's activities read visibility with it). */
export function lazyTemporalClient(config: AppConfig): TemporalClientHandle {
  const connection = Connection.lazy(temporalConnectionOptions(config));
  return {
    client: new Client({ connection, namespace: config.temporal.namespace }),
    close: () => connection.close().catch(() => undefined),
  };
}
