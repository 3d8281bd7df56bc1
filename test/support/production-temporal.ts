import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { loadConfig, type AppConfig } from '../../src/config/config';
import { dropDatabase } from '../../src/adapters/postgres/migrate';
import { stackDown, stackUp } from '../../src/stack/stack';
import { temporalServer, type ManagedProcess } from '../../src/stack/stack-processes';
import { defaultTemporalCacheDir } from '../../src/stack/temporal-binary';
import { temporalServerPorts } from '../../src/stack/temporal-server';
import { tempDir } from './mail';

/** Fail a production-mode suite at once, saying how to build what it lacks (never skip it). */
export function requireProductionBinaries(): void {
  const bin = defaultTemporalCacheDir();
  const missing = ['server', 'sql', 'temporal-ui-server'].filter((name) => !fs.existsSync(path.join(bin, name)));
  if (missing.length > 0)
    throw new Error(
      `production-mode tests need ${missing.join(', ')} in ${bin}: run \`npx tsx src/stack/ensure-temporal-server.ts\` ` +
        '(or `algo stack up` with TEMPORAL_SERVER=postgres) once to build them',
    );
}

const portFree = (port: number) =>
  new Promise<boolean>((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });

/** A frontend port whose whole layout (history, matching, worker, membership, metrics, HTTP) is free. */
export async function freeServerPort(): Promise<number> {
  for (;;) {
    const frontend = 21_000 + Math.floor(Math.random() * 11_000);
    const p = temporalServerPorts(frontend);
    const all = [p.frontend, p.frontendHttp, p.history, p.matching, p.worker, p.metrics, ...p.membership];
    if ((await Promise.all(all.map(portFree))).every(Boolean)) return frontend;
  }
}

/**
 * A production-mode config for a test: temporal.server=postgres on a free
 * frontend port, the server's two databases named for this test on the
 * Postgres server of `databaseUrl`, its own data dir and task queue.
 */
export async function productionConfig(databaseUrl: string, env: NodeJS.ProcessEnv = {}): Promise<AppConfig> {
  const suffix = crypto.randomBytes(3).toString('hex');
  const config = loadConfig({
    DATABASE_URL: databaseUrl,
    TEMPORAL_ADDRESS: `127.0.0.1:${await freeServerPort()}`,
    TEMPORAL_SERVER: 'postgres',
    TEMPORAL_TASK_QUEUE: `production-${suffix}`,
    REDIS_KEY_PREFIX: `algo-test-production-${suffix}:`,
    ALGO_DATA_DIR: tempDir('algo-production-'),
    ...env,
  });
  config.temporal.production = {
    ...config.temporal.production,
    database: `temporal_t${suffix}`,
    visibilityDatabase: `temporal_visibility_t${suffix}`,
  };
  return config;
}

/** The production server of `config` started by `algo stack up`; `stop()` stops it and drops its databases. */
export async function startProductionTemporal(
  config: AppConfig,
  processes: readonly ManagedProcess[] = [temporalServer],
): Promise<{ stop(): Promise<void> }> {
  await stackUp(config, { processes });
  return {
    async stop() {
      await stackDown(config, { processes, graceMs: 10_000 });
      for (const name of [config.temporal.production.database, config.temporal.production.visibilityDatabase]) {
        const url = new URL(config.database.url);
        url.pathname = `/${name}`;
        await dropDatabase(url.toString());
      }
    },
  };
}
