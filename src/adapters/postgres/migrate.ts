import { Kysely, Migrator, sql, type Migration, type MigrationResultSet } from 'kysely';
import pg from 'pg';
import * as m0001 from './migrations/0001-prices';
import * as m0002 from './migrations/0002-signals-subscriptions';
import * as m0003 from './migrations/0003-backtests';
import * as m0004 from './migrations/0004-sweeps-recommendations';
import * as m0005 from './migrations/0005-signal-run-date';
import * as m0006 from './migrations/0006-corporate-actions';
import * as m0007 from './migrations/0007-delivered-signals';
import * as m0008 from './migrations/0008-tracked-tickers';
import * as m0009 from './migrations/0009-subscription-changes';
import * as m0011 from './migrations/0011-providers-readjustments';
import * as m0012 from './migrations/0012-readjustment-cause';
import * as m0018 from './migrations/0018-reported-signals';
import * as m0060 from './migrations/0060-saved-rule-strategies';
import * as m0030 from './migrations/0030-daily-run-alerts';
import * as m0025 from './migrations/0025-deliveries-room-for-updates';
import * as m0020 from './migrations/0020-delivery-sent-by';
import * as m0050 from './migrations/0050-flagged-rows';
import * as m0051 from './migrations/0051-readjustment-quarantine';
import * as m0040 from './migrations/0040-pending-tickers';
import * as m0041 from './migrations/0041-change-mailbox';
import * as m0075 from './migrations/0075-backtest-inline-rule';
import * as m0085 from './migrations/0085-public-backtests';
import * as m0090 from './migrations/0090-signal-recorded-by';
import * as m0120 from './migrations/0120-open-deliveries';
import type { Database } from './database';

/** Every migration, in order. Add new ones here; never edit an applied one. */
export const MIGRATIONS: Record<string, Migration> = {
  '0001-prices': m0001,
  '0002-signals-subscriptions': m0002,
  '0003-backtests': m0003,
  '0004-sweeps-recommendations': m0004,
  '0005-signal-run-date': m0005,
  '0006-corporate-actions': m0006,
  '0007-delivered-signals': m0007,
  '0008-tracked-tickers': m0008,
  '0009-subscription-changes': m0009,
  '0011-providers-readjustments': m0011,
  '0012-readjustment-cause': m0012,
  '0018-reported-signals': m0018,
  '0060-saved-rule-strategies': m0060,
  '0030-daily-run-alerts': m0030,
  '0025-deliveries-room-for-updates': m0025,
  '0020-delivery-sent-by': m0020,
  '0050-flagged-rows': m0050,
  '0051-readjustment-quarantine': m0051,
  '0040-pending-tickers': m0040,
  '0041-change-mailbox': m0041,
  '0075-backtest-inline-rule': m0075,
  '0085-public-backtests': m0085,
  '0090-signal-recorded-by': m0090,
  '0120-open-deliveries': m0120,
};

/** Migrate `db` to the latest schema; throws with the failing migration's name. */
export async function migrateToLatest(db: Kysely<Database>): Promise<MigrationResultSet> {
  // Unordered: branches developed side by side add migrations whose numbers interleave;
  // a database that applied a later number first must still take an earlier one.
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => MIGRATIONS },
    allowUnorderedMigrations: true,
  });
  const result = await migrator.migrateToLatest();
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error');
    throw new Error(
      `migration ${failed?.migrationName ?? '?'} failed: ${String((result.error as Error).message ?? result.error)}`,
    );
  }
  return result;
}

/** Create the database named in `url` if it does not exist (connects to the `postgres` database to do it). */
export async function ensureDatabaseExists(url: string): Promise<boolean> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.replace(/^\//, ''));
  if (!/^[A-Za-z0-9_\-]+$/.test(name)) throw new Error(`unsupported database name in DATABASE_URL: "${name}"`);
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (found.rowCount) return false;
    await client.query(`create database "${name}"`);
    return true;
  } catch (err) {
    // Two processes may race to create it; the loser's error is harmless.
    if ((err as { code?: string }).code === '42P04') return false;
    throw err;
  } finally {
    await client.end();
  }
}

/** Drop the database named in `url` (tests only). */
export async function dropDatabase(url: string): Promise<void> {
  const name = decodeURIComponent(new URL(url).pathname.replace(/^\//, ''));
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    await client.query(`drop database if exists "${name}" with (force)`);
  } finally {
    await client.end();
  }
}

export { sql };
