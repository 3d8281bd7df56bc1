import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import { promisify } from 'node:util';
import pg from 'pg';
import type { DatabaseBackupTool } from '../../domain/backups';
import { BadInputError, ConfigurationError } from '../../domain/errors';
import { ensureDatabaseExists } from './migrate';

const run = promisify(execFile);

/** A command's failure as one readable line: its stderr's first line, else its message. */
function commandFailure(command: string, err: unknown): string {
  const e = err as { stderr?: string; message?: string; code?: string | number };
  if (e.code === 'ENOENT') return `${command} is not installed (Debian: apt-get install postgresql-client)`;
  const line = (e.stderr ?? '').split('\n').find((l) => l.trim()) ?? e.message ?? String(err);
  return `${command} failed: ${line.trim()}`;
}

/**
 * Postgres's own tools: `pg_dump --format=custom` (one transaction at
 * repeatable read, so one consistent snapshot while the system runs) and
 * `pg_restore --single-transaction --exit-on-error` (all or nothing). They
 * take the database URL as is; objects are restored without their owners, so
 * another role can restore.
 */
export class PgDumpBackupTool implements DatabaseBackupTool {
  constructor(private readonly databaseUrl: string) {}

  async dump(file: string): Promise<{ bytes: number }> {
    try {
      await run('pg_dump', ['--format=custom', `--file=${file}`, `--dbname=${this.databaseUrl}`], {
        maxBuffer: 16 * 1024 * 1024,
      });
    } catch (err) {
      throw new ConfigurationError(commandFailure('pg_dump', err));
    }
    return { bytes: (await fs.stat(file)).size };
  }

  async tablesOf(file: string): Promise<string[]> {
    let listing: string;
    try {
      listing = (await run('pg_restore', ['--list', file], { maxBuffer: 64 * 1024 * 1024 })).stdout;
    } catch (err) {
      throw new BadInputError(`${file} is not a backup algo restore can read: ${commandFailure('pg_restore', err)}`, {
        field: 'file',
      });
    }
    // Lines such as `215; 1259 16390 TABLE public daily_bars postgres`.
    return [...listing.matchAll(/^\d+; \d+ \d+ TABLE (?!DATA )\S+ (\S+)/gm)].map((m) => m[1]);
  }

  async existingTables(): Promise<string[]> {
    const client = new pg.Client({ connectionString: this.databaseUrl });
    try {
      await client.connect();
    } catch (err) {
      // 3D000: no such database, which a restore creates.
      if ((err as { code?: string }).code === '3D000') return [];
      throw err;
    }
    try {
      const { rows } = await client.query<{ name: string }>(
        "select table_name as name from information_schema.tables where table_schema = 'public' order by 1",
      );
      return rows.map((r) => r.name);
    } finally {
      await client.end();
    }
  }

  async restore(file: string): Promise<void> {
    await ensureDatabaseExists(this.databaseUrl);
    try {
      await run(
        'pg_restore',
        ['--single-transaction', '--exit-on-error', '--no-owner', `--dbname=${this.databaseUrl}`, file],
        { maxBuffer: 16 * 1024 * 1024 },
      );
    } catch (err) {
      throw new ConfigurationError(commandFailure('pg_restore', err));
    }
  }
}
