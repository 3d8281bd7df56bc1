import { Client, Connection } from '@temporalio/client';
import type { Command } from 'commander';
import type { Kysely } from 'kysely';
import { loadConfig, type AppConfig } from '../config/config';
import { createDatabase, type Database } from '../adapters/postgres/database';
import { temporalConnectionOptions } from '../adapters/temporal/connection';
import { createOutput, type Output } from './output';

/** What a command needs, created lazily so that `algo --help` connects to nothing. */
export interface CliContext {
  config: AppConfig;
  out: Output;
  db(): Kysely<Database>;
  temporal(): Promise<Client>;
}

/**
 * Run a command body with a context, closing every connection it opened.
 * `cmd` is the commander command (for the global --json flag).
 */
export async function withContext(cmd: Command, body: (ctx: CliContext) => Promise<void>): Promise<void> {
  const opts = cmd.optsWithGlobals() as { json?: boolean };
  const config = loadConfig();
  let db: Kysely<Database> | undefined;
  let connection: Connection | undefined;
  let client: Client | undefined;
  const ctx: CliContext = {
    config,
    out: createOutput(Boolean(opts.json)),
    db: () => (db ??= createDatabase(config.database.url)),
    async temporal() {
      if (client) return client;
      try {
        connection = await Connection.connect({ ...temporalConnectionOptions(config), connectTimeout: '5s' });
      } catch (err) {
        throw new Error(`cannot reach Temporal at ${config.temporal.address} (${(err as Error).message}); start it with: npm run algo -- stack up`);
      }
      client = new Client({ connection, namespace: config.temporal.namespace });
      return client;
    },
  };
  try {
    await body(ctx);
  } finally {
    await db?.destroy();
    await connection?.close();
  }
}
