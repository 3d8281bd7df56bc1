import fs from 'node:fs/promises';
import path from 'node:path';
import { TEMPORAL_BACKUP_ADVICE, type DatabaseBackupTool } from '../domain/backups';
import { BadInputError, ConflictError } from '../domain/errors';

/** What `algo backup` wrote. */
export interface BackupResult {
  file: string;
  bytes: number;
  database: string;
  /** How to back up Temporal's own state, which this dump does not hold. */
  temporal: string;
}

/** What `algo restore` did. */
export interface RestoreResult {
  file: string;
  database: string;
  /** Tables restored from the dump. */
  tables: number;
  /** Migrations applied after it (a dump of an older version). */
  migrationsApplied: string[];
  /** The Redis strategy states rebuilt from the restored Postgres. */
  states: { tickers: number; cleared: number; rebuilt: number };
  temporal: string;
}

export interface BackupsDependencies {
  tool: DatabaseBackupTool;
  /** The app database's name, for the messages. */
  database: string;
  /** Migrate the restored database to the latest schema; the migrations applied. */
  migrate(): Promise<string[]>;
  /** Recompute Redis from Postgres (the same rebuild as `algo state rebuild`). */
  rebuildStates(): Promise<{ tickers: number; cleared: number; rebuilt: number }>;
}

/**
 * Backups of the app database (issue 17.8): a consistent dump, and a restore
 * into an empty database followed by the schema's newer migrations and the
 * Redis rebuild. Nothing is overwritten: neither an existing file nor a
 * database with tables. Deliveries and alerts travel in the dump, so the runs
 * after a restore send nothing twice.
 */
export class BackupsService {
  constructor(private readonly deps: BackupsDependencies) {}

  /** Dump the app database into `file` (refused if it exists); written under a temporary name, then renamed. */
  async backup(input: { file: string }): Promise<BackupResult> {
    const file = path.resolve(input.file);
    if (await exists(file)) throw new ConflictError(`${file} already exists; choose a new file (nothing was written)`);
    if (!(await exists(path.dirname(file))))
      throw new BadInputError(`directory ${path.dirname(file)} does not exist`, { field: 'file' });
    const partial = `${file}.partial`;
    try {
      const { bytes } = await this.deps.tool.dump(partial);
      await fs.rename(partial, file);
      return { file, bytes, database: this.deps.database, temporal: TEMPORAL_BACKUP_ADVICE };
    } finally {
      await fs.rm(partial, { force: true });
    }
  }

  /** Restore `file` into the app database, which must be empty or absent; then migrate and rebuild Redis. */
  async restore(input: { file: string }): Promise<RestoreResult> {
    const file = path.resolve(input.file);
    if (!(await exists(file))) throw new BadInputError(`no backup file ${file}`, { field: 'file' });
    const tables = await this.deps.tool.tablesOf(file);
    const existing = await this.deps.tool.existingTables();
    if (existing.length > 0) {
      throw new ConflictError(
        `database ${this.deps.database} is not empty (${existing.length} tables, e.g. ${existing.slice(0, 3).join(', ')}); ` +
          'restore only into an empty database: point DATABASE_URL at a new one, or drop this one first',
      );
    }
    await this.deps.tool.restore(file);
    const migrationsApplied = await this.deps.migrate();
    const states = await this.deps.rebuildStates();
    return {
      file,
      database: this.deps.database,
      tables: tables.length,
      migrationsApplied,
      states,
      temporal: TEMPORAL_BACKUP_ADVICE,
    };
  }
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  );
}
