import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import {
  freeTemporalServerPorts,
  goModCache,
  postgresSchemaDir,
  setupTemporalSchemas,
  TEMPORAL_SERVER_PACKAGES,
  TEMPORAL_SERVER_VERSION,
  writeTemporalServerConfig,
  type TemporalPersistence,
} from '../src/stack/temporal-server';
import { defaultTemporalCacheDir } from '../src/stack/temporal-binary';
import { dropDatabase } from '../src/adapters/postgres/migrate';
import { waitFor } from '../test/support/mail';
import { startTestTemporal } from '../test/support/temporal';
import { BENCH_POSTGRES_URL, log } from './support';

/** Which Temporal server a benchmark runs on: the dev server (SQLite in memory) or production mode's server on Postgres. */
export type BenchServerMode = 'dev' | 'postgres';

/** A running Temporal server of a benchmark, its client, and how to stop it (and drop what it stored). */
export interface BenchTemporal {
  mode: BenchServerMode;
  address: string;
  namespace: string;
  client: Client;
  teardown(): Promise<void>;
}

/** A Temporal server of `mode` on free ports, private to one benchmark. */
export async function startBenchTemporalServer(mode: BenchServerMode): Promise<BenchTemporal> {
  if (mode === 'postgres') return startPostgresTemporal();
  const env = await startTestTemporal();
  return {
    mode,
    address: env.address,
    namespace: env.namespace ?? 'default',
    client: env.client,
    teardown: () => env.teardown(),
  };
}

/**
 * Production mode's server (the real server 1.29.1 from the binary cache)
 * with its two databases on the benchmarks' Postgres, as `algo stack up`'s
 * production mode keeps them beside the app's: schemas set up by its sql tool
 * (src/stack/temporal-server.ts), the namespace `default` registered. The
 * databases are dropped by `teardown`.
 */
async function startPostgresTemporal(): Promise<BenchTemporal> {
  const bin = defaultTemporalCacheDir();
  const serverBinary = path.join(bin, 'server');
  const sqlTool = path.join(bin, 'sql');
  const missing = [serverBinary, sqlTool].filter((file) => !fs.existsSync(file));
  if (missing.length > 0)
    throw new Error(
      `the Postgres-mode benchmark needs ${missing.join(' and ')}: GOBIN=${bin} go install ` +
        `${TEMPORAL_SERVER_PACKAGES.server}@v${TEMPORAL_SERVER_VERSION} ${TEMPORAL_SERVER_PACKAGES.sqlTool}@v${TEMPORAL_SERVER_VERSION}`,
    );
  const postgres = new URL(BENCH_POSTGRES_URL);
  const id = crypto.randomBytes(4).toString('hex');
  const persistence: TemporalPersistence = {
    host: postgres.hostname,
    port: Number(postgres.port || 5432),
    user: decodeURIComponent(postgres.username || 'postgres'),
    password: decodeURIComponent(postgres.password) || undefined,
    database: `algo_bench_temporal_${id}`,
    visibilityDatabase: `algo_bench_temporal_visibility_${id}`,
  };
  const urlOf = (database: string) => {
    const url = new URL(BENCH_POSTGRES_URL);
    url.pathname = `/${database}`;
    return url.toString();
  };
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'algo-bench-temporal-'));
  const dropAll = async () => {
    await dropDatabase(urlOf(persistence.database));
    await dropDatabase(urlOf(persistence.visibilityDatabase));
    fs.rmSync(root, { recursive: true, force: true });
  };
  let server: ReturnType<typeof spawn> | undefined;
  let connection: Connection | undefined;
  let output = '';
  const stop = async () => {
    await connection?.close().catch(() => undefined);
    if (server && server.exitCode === null && server.signalCode === null) {
      const exited = new Promise((resolve) => server!.once('exit', resolve));
      server.kill('SIGTERM');
      const timer = setTimeout(() => server!.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    await dropAll();
  };
  try {
    log(`temporal (postgres): schemas in ${persistence.database} and ${persistence.visibilityDatabase}`);
    const goBinary = fs.existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : 'go';
    await setupTemporalSchemas({
      sqlTool,
      schemaDir: postgresSchemaDir(await goModCache(goBinary)),
      persistence,
      existing: async () => ({ exists: false, hasSchema: false }),
    });
    const ports = await freeTemporalServerPorts();
    const args = writeTemporalServerConfig(root, { persistence, ports });
    server = spawn(serverBinary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000));
    server.stdout!.on('data', keep);
    server.stderr!.on('data', keep);
    const address = `127.0.0.1:${ports.frontend}`;
    connection = await waitFor(
      'the Temporal server (postgres) to answer',
      async () => {
        if (server!.exitCode !== null) throw new Error(`temporal server exited ${server!.exitCode}: ${output}`);
        try {
          const c = await Connection.connect({ address, connectTimeout: '1s' });
          await c.workflowService.getSystemInfo({});
          return c;
        } catch {
          return undefined;
        }
      },
      120_000,
      500,
    );
    await connection.workflowService.registerNamespace({
      namespace: 'default',
      workflowExecutionRetentionPeriod: msToTs('1 day'),
    });
    const client = new Client({ connection, namespace: 'default' });
    // The namespace cache refreshes every few seconds: a workflow start tells when "default" is usable.
    const probe = await waitFor(
      'the namespace default to be usable',
      async () =>
        client.workflow
          .start('benchNamespaceProbe', { taskQueue: `probe-${id}`, workflowId: `probe-${id}`, args: [] })
          .catch(() => undefined),
      60_000,
      500,
    );
    await probe.terminate('the namespace is usable');
    return { mode: 'postgres', address, namespace: 'default', client, teardown: stop };
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
}
