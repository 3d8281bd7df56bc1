import { Connection } from '@temporalio/client';
import Redis from 'ioredis';
import pg from 'pg';
import type { AppConfig } from '../config/config';
import { createDatabase } from '../adapters/postgres/database';
import { ensureDatabaseExists, migrateToLatest } from '../adapters/postgres/migrate';
import { temporalConnectionOptions } from '../adapters/temporal/connection';
import { isPortOpen } from './processes';

/** A connection URL with its password replaced, fit to print. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url;
  }
}

/** host and port of a `host:port` address. */
export function splitAddress(address: string): { host: string; port: number } {
  const at = address.lastIndexOf(':');
  return { host: address.slice(0, at), port: Number(address.slice(at + 1)) };
}

/** The dev server is ours to run only when Temporal is configured on this machine. */
export function isLocalTemporal(config: AppConfig): boolean {
  const { host } = splitAddress(config.temporal.address);
  return ['127.0.0.1', 'localhost', '::1', '[::1]'].includes(host);
}

/** Whether Postgres answers at the configured URL, and whether its database exists yet. */
export async function postgresState(url: string): Promise<'up' | 'no-database' | 'down'> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('select 1');
    return 'up';
  } catch (err) {
    // 3D000: invalid_catalog_name, the server answered but the database is not created yet.
    return (err as { code?: string }).code === '3D000' ? 'no-database' : 'down';
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Create the configured database if missing and migrate it to the latest schema. */
export async function preparePostgres(url: string): Promise<{ created: boolean }> {
  let created: boolean;
  try {
    created = await ensureDatabaseExists(url);
  } catch (err) {
    throw new Error(
      `cannot reach Postgres at ${redactUrl(url)} (${(err as Error).message}); start it ` +
        `(e.g. \`pg_ctlcluster --skip-systemctl-redirect <version> main start\` or \`docker compose up -d postgres\`) or set DATABASE_URL`,
    );
  }
  const db = createDatabase(url);
  try {
    await migrateToLatest(db);
  } finally {
    await db.destroy();
  }
  return { created };
}

/** Whether Redis answers PING at `url`. */
export async function redisAnswers(url: string): Promise<boolean> {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 2000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  // ioredis also emits connection failures as events; the awaited calls report them.
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    return (await redis.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}

export async function checkRedis(url: string): Promise<void> {
  if (!(await redisAnswers(url))) {
    throw new Error(
      `cannot reach Redis at ${redactUrl(url)}; start it ` +
        `(e.g. \`redis-server --daemonize yes --bind 127.0.0.1 --port 6379\` or \`docker compose up -d redis\`) or set REDIS_URL`,
    );
  }
}

/** Whether the Temporal frontend answers and knows the configured namespace. */
export async function temporalAnswers(config: AppConfig): Promise<boolean> {
  const { host, port } = splitAddress(config.temporal.address);
  // A cheap TCP probe first: a gRPC connect to a closed port waits for its timeout.
  if (isLocalTemporal(config) && !(await isPortOpen(host, port, 500))) return false;
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ ...temporalConnectionOptions(config), connectTimeout: '2s' });
    await connection.workflowService.describeNamespace({ namespace: config.temporal.namespace });
    return true;
  } catch {
    return false;
  } finally {
    await connection?.close().catch(() => undefined);
  }
}
