import type { Command } from 'commander';
import type { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import type { Database } from '../adapters/postgres/database';
import { connectTemporal, openDatabase, openRedis, type TemporalClientHandle } from '../composition';
import { loadConfig, type AppConfig } from '../config/config';
import { loadStrategyModules } from '../config/strategy-modules';
import { TemporalGateway } from '../services/temporal-gateway';
import { createCliServices, type CliServices } from './cli-services';
import { createOutput, type Output } from './output';

/** What a command needs, created lazily so that `algo --help` connects to nothing. */
export interface CliContext {
  config: AppConfig;
  out: Output;
  /** The use cases, the same services the API calls; each connects on first use. */
  services: CliServices;
}

/**
 * Run a command body with a context, closing every connection it opened.
 * `cmd` is the commander command (for the global --json flag).
 */
export async function withContext(cmd: Command, body: (ctx: CliContext) => Promise<void>): Promise<void> {
  const opts = cmd.optsWithGlobals() as { json?: boolean };
  const config = loadConfig();
  await loadStrategyModules(config.strategies.modules ?? []);
  let db: Kysely<Database> | undefined;
  let redis: Redis | undefined;
  let temporal: TemporalClientHandle | undefined;
  let gateway: TemporalGateway | undefined;
  const services = createCliServices({
    config,
    db: () => (db ??= openDatabase(config)),
    redis: () => (redis ??= openRedis(config)),
    async temporal() {
      temporal ??= await connectTemporal(config, { connectTimeout: '5s' });
      return (gateway ??= TemporalGateway.fromConfig(temporal.client, config));
    },
  });
  const ctx: CliContext = { config, out: createOutput(Boolean(opts.json)), services };
  try {
    await body(ctx);
  } finally {
    services.close();
    redis?.disconnect();
    await db?.destroy();
    await temporal?.close();
  }
}
