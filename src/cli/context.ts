import type { Client } from '@temporalio/client';
import type { Command } from 'commander';
import type { Kysely } from 'kysely';
import { loadConfig, type AppConfig } from '../config/config';
import type { Database } from '../adapters/postgres/database';
import { connectTemporal, createSubscriptionServicesOn, openDatabase, type TemporalClientHandle } from '../composition';
import type { SubscriptionServices } from '../services/subscription-services';
import { TemporalGateway } from '../services/temporal-gateway';
import { createOutput, type Output } from './output';

/** What a command needs, created lazily so that `algo --help` connects to nothing. */
export interface CliContext {
  config: AppConfig;
  out: Output;
  db(): Kysely<Database>;
  temporal(): Promise<Client>;
  /** The subscription and ticker services over Postgres and the configured mailer (built as the API builds them). */
  services(): SubscriptionServices;
  /** The Temporal gateway over {@link temporal} (connects on first use). */
  gateway(): Promise<TemporalGateway>;
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
  let services: (SubscriptionServices & { close(): void }) | undefined;
  const ctx: CliContext = {
    config,
    out: createOutput(Boolean(opts.json)),
    db: () => (db ??= openDatabase(config)),
    async temporal() {
      temporal ??= await connectTemporal(config, { connectTimeout: '5s' });
      return temporal.client;
    },
    services: () => (services ??= createSubscriptionServicesOn(ctx.db(), config, { maxConnections: 1 })),
    async gateway() {
      return TemporalGateway.fromConfig(await ctx.temporal(), config);
    },
  };
  try {
    await body(ctx);
  } finally {
    services?.close();
    await db?.destroy();
    await temporal?.close();
  }
}
