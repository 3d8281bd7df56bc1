import crypto from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { createDatabase, type Database } from '../../src/adapters/postgres/database';
import { dropDatabase, ensureDatabaseExists, migrateToLatest } from '../../src/adapters/postgres/migrate';

/** Postgres server for tests; the database name is replaced per test file. */
export const TEST_POSTGRES_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  url: string;
  db: Kysely<Database>;
  /** Empty every table (between tests). */
  truncateAll(): Promise<void>;
  /** Close the pool and drop the database. */
  destroy(): Promise<void>;
}

/**
 * A fresh database migrated to the latest schema, private to the calling test
 * file (or benchmark: `prefix` names it, e.g. `algo_bench_ingest`).
 */
export async function createTestDatabase(prefix = 'algo_test', serverUrl = TEST_POSTGRES_URL): Promise<TestDatabase> {
  const url = new URL(serverUrl);
  url.pathname = `/${prefix}_${crypto.randomBytes(4).toString('hex')}`;
  const dbUrl = url.toString();
  await ensureDatabaseExists(dbUrl);
  const db = createDatabase(dbUrl);
  await migrateToLatest(db);
  return {
    url: dbUrl,
    db,
    async truncateAll() {
      const tables = await db.introspection.getTables();
      const names = tables.map((t) => `"${t.name}"`).join(', ');
      if (names) await sql.raw(`truncate ${names} restart identity cascade`).execute(db);
    },
    async destroy() {
      await db.destroy();
      await dropDatabase(dbUrl);
    },
  };
}
