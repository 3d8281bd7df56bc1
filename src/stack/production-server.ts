import path from 'node:path';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import pg from 'pg';
import type { AppConfig } from '../config/config';
import { temporalConnectionOptions } from '../adapters/temporal/connection';
import { sleep } from './processes';
import { splitAddress } from './services';
import { ensureTemporalServerBinaries } from './temporal-server-binaries';
import {
  setupTemporalSchemas,
  temporalPersistenceOf,
  temporalServerPorts,
  writeTemporalServerConfig,
  writeTemporalUiConfig,
} from './temporal-server';

/**
 * Production mode (`temporal.server: postgres`) as `algo stack up` runs it:
 * the Temporal server on the app's Postgres, its namespace, its Web UI.
 */

/** Where production mode keeps its server's and UI's config files. */
export function productionServerPaths(config: AppConfig) {
  return {
    serverRoot: path.join(config.dataDir, 'temporal-server'),
    uiRoot: path.join(config.dataDir, 'temporal-ui'),
  };
}

/** The server's persistence: the two configured databases on database.url's Postgres server. */
export function productionPersistence(config: AppConfig) {
  const { database, visibilityDatabase } = config.temporal.production;
  return temporalPersistenceOf(config.database.url, { database, visibilityDatabase });
}

/** The URL of `database` on the app's Postgres server: database.url with another database name. */
export function temporalDatabaseUrl(config: AppConfig, database: string): string {
  const url = new URL(config.database.url);
  url.pathname = `/${database}`;
  return url.toString();
}

/** Whether `database` exists on the app's Postgres server, and holds the sql tool's schema_version table. */
export async function temporalDatabaseState(
  databaseUrl: string,
  database: string,
): Promise<{ exists: boolean; hasSchema: boolean }> {
  const url = new URL(databaseUrl);
  const connect = async (name: string) => {
    url.pathname = `/${name}`;
    const client = new pg.Client({ connectionString: url.toString(), connectionTimeoutMillis: 5000 });
    await client.connect();
    return client;
  };
  const admin = await connect('postgres');
  try {
    const found = await admin.query('select 1 from pg_database where datname = $1', [database]);
    if (found.rowCount === 0) return { exists: false, hasSchema: false };
  } finally {
    await admin.end();
  }
  const db = await connect(database);
  try {
    const table = await db.query<{ name: string | null }>(`select to_regclass('schema_version')::text as name`);
    return { exists: true, hasSchema: table.rows[0].name !== null };
  } finally {
    await db.end();
  }
}

/**
 * Everything before the server starts, at every start: its binaries (built
 * once), its two databases and their schemas brought to the server's version
 * (idempotent), its config written. Returns the server's command line.
 */
export async function prepareProductionServer(config: AppConfig, log: (line: string) => void): Promise<string[]> {
  const binaries = await ensureTemporalServerBinaries({ log });
  const persistence = productionPersistence(config);
  await setupTemporalSchemas({
    sqlTool: binaries.sqlTool,
    schemaDir: binaries.schemaDir,
    persistence,
    existing: (database) => temporalDatabaseState(config.database.url, database),
    log: (line) => log(`temporal: ${line}`),
  });
  const args = writeTemporalServerConfig(productionServerPaths(config).serverRoot, {
    persistence,
    ports: temporalServerPorts(splitAddress(config.temporal.address).port),
  });
  return [binaries.server, ...args];
}

/** The UI server's command line, its config written (it talks to the configured frontend). */
export async function prepareProductionUi(config: AppConfig, log: (line: string) => void): Promise<string[]> {
  const binaries = await ensureTemporalServerBinaries({ log });
  const args = writeTemporalUiConfig(productionServerPaths(config).uiRoot, {
    temporalAddress: config.temporal.address,
    port: config.temporal.production.uiPort,
    defaultNamespace: config.temporal.namespace,
  });
  return [binaries.uiServer, ...args];
}

/** Whether a Temporal frontend answers at temporal.address (any namespace). */
export async function temporalFrontendAnswers(config: AppConfig): Promise<boolean> {
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ ...temporalConnectionOptions(config), connectTimeout: '2s' });
    await connection.workflowService.getSystemInfo({});
    return true;
  } catch {
    return false;
  } finally {
    await connection?.close().catch(() => undefined);
  }
}

const DAY_MS = 86_400_000;
/** gRPC NOT_FOUND. */
const NOT_FOUND = 5;

/**
 * Register temporal.namespace with the configured retention, or set the
 * retention of an existing one when it differs; then wait until the
 * namespace serves calls (the server's namespace cache refreshes every few
 * seconds). Resolves with what it did.
 */
export async function ensureNamespace(
  config: AppConfig,
  timeoutMs = 60_000,
): Promise<'registered' | 'retention-updated' | 'unchanged'> {
  const { namespace } = config.temporal;
  const retentionMs = config.temporal.production.retentionDays * DAY_MS;
  const connection = await Connection.connect(temporalConnectionOptions(config));
  try {
    let action: 'registered' | 'retention-updated' | 'unchanged';
    try {
      const described = await connection.workflowService.describeNamespace({ namespace });
      const ttl = described.config?.workflowExecutionRetentionTtl;
      const currentMs = ttl ? Number(ttl.seconds ?? 0) * 1000 + Math.round((ttl.nanos ?? 0) / 1e6) : undefined;
      if (currentMs === retentionMs) action = 'unchanged';
      else {
        await connection.workflowService.updateNamespace({
          namespace,
          config: { workflowExecutionRetentionTtl: msToTs(retentionMs) },
        });
        action = 'retention-updated';
      }
    } catch (err) {
      if ((err as { code?: number }).code !== NOT_FOUND) throw err;
      await connection.workflowService.registerNamespace({
        namespace,
        workflowExecutionRetentionPeriod: msToTs(retentionMs),
      });
      action = 'registered';
    }
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        await connection.workflowService.listWorkflowExecutions({ namespace, pageSize: 1 });
        return action;
      } catch (err) {
        if (Date.now() > deadline)
          throw new Error(
            `namespace ${namespace} was not usable within ${timeoutMs / 1000}s: ${(err as Error).message}`,
          );
        await sleep(500);
      }
    }
  } finally {
    await connection.close();
  }
}
