import fs from 'node:fs/promises';
import path from 'node:path';
import {
  devServerBackupAdvice,
  NO_TEMPORAL_DUMP_ADVICE,
  TEMPORAL_DATABASE_ROLES,
  temporalDumpFile,
  type DatabaseBackupTool,
  type TemporalDatabaseRole,
} from '../domain/backups';
import { BadInputError, ConflictError } from '../domain/errors';

/** One database's dump that `algo backup` wrote. */
export interface DatabaseDump {
  file: string;
  bytes: number;
  database: string;
}

/** What `algo backup` wrote. */
export interface BackupResult extends DatabaseDump {
  /** Temporal's databases dumped beside it (production mode), in the order dumped; empty otherwise. */
  temporalDumps: Array<DatabaseDump & { role: TemporalDatabaseRole }>;
  /** What the backup holds of Temporal's state, and how to back up what it does not. */
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
  /** Temporal's databases restored from the dumps beside `file` (production mode). */
  temporalRestored: Array<{ role: TemporalDatabaseRole; database: string; file: string; tables: number }>;
  temporal: string;
}

/** One of Temporal's databases, and the tool that dumps and restores it. */
export interface TemporalDatabase {
  role: TemporalDatabaseRole;
  database: string;
  tool: DatabaseBackupTool;
}

export interface BackupsDependencies {
  tool: DatabaseBackupTool;
  /** The app database's name, for the messages. */
  database: string;
  /** Migrate the restored database to the latest schema; the migrations applied. */
  migrate(): Promise<string[]>;
  /** Recompute Redis from Postgres (the same rebuild as `algo state rebuild`). */
  rebuildStates(): Promise<{ tickers: number; cleared: number; rebuilt: number }>;
  /** The dev server's SQLite file, for the advice on backing it up. */
  devServerFile: string;
  /**
   * Production mode (temporal.server: postgres): Temporal's two databases on
   * the app's Postgres server, and whether its server answers now (a restore
   * needs it stopped). Absent with the dev server, whose store is a file.
   */
  temporal?: {
    databases: TemporalDatabase[];
    /** Where the server listens, for the messages. */
    address: string;
    serverAnswers(): Promise<boolean>;
  };
}

/**
 * Backups (issue 17.8): a consistent dump of the app database, and in
 * production mode of Temporal's two databases beside it, so that Schedules
 * and run histories survive too; a restore into empty databases followed by
 * the schema's newer migrations and the Redis rebuild. Nothing is
 * overwritten: neither an existing file nor a database with tables.
 * Deliveries and alerts travel in the app's dump, so the runs after a restore
 * send nothing twice.
 *
 * pg_dump takes one snapshot per database, not one across the three. They are
 * dumped Temporal first, the app last, so the app's dump is never older than
 * Temporal's: whatever a workflow did after Temporal's snapshot, Temporal
 * does again after a restore (an activity it had not seen finish is run
 * again; a scheduled run it had not started yet is caught up), and every
 * activity finds its effect already in the app's database (upserts, the
 * delivery claimed per day and subscriber), so nothing is sent twice. The
 * other order could leave Temporal believing in deliveries the app's dump
 * lacks, which a run of that day by hand would send again. `temporal` is
 * dumped before `temporal_visibility`: the server's task queue, restored
 * older, writes the visibility records again.
 */
export class BackupsService {
  constructor(private readonly deps: BackupsDependencies) {}

  /** Dump Temporal's databases (production mode) then the app's into `file` and beside it; refused if any exists. */
  async backup(input: { file: string }): Promise<BackupResult> {
    const file = path.resolve(input.file);
    const temporal = this.temporalDatabases().map((t) => ({ ...t, file: temporalDumpFile(file, t.role) }));
    const dumps = [...temporal, { file, database: this.deps.database, tool: this.deps.tool }];
    for (const dump of dumps) {
      if (await exists(dump.file))
        throw new ConflictError(`${dump.file} already exists; choose a new file (nothing was written)`);
    }
    if (!(await exists(path.dirname(file))))
      throw new BadInputError(`directory ${path.dirname(file)} does not exist`, { field: 'file' });
    const partial = (f: string) => `${f}.partial`;
    try {
      const sizes: number[] = [];
      for (const dump of dumps) sizes.push((await dump.tool.dump(partial(dump.file))).bytes);
      for (const dump of dumps) await fs.rename(partial(dump.file), dump.file);
      const temporalDumps = temporal.map((t, i) => ({
        role: t.role,
        database: t.database,
        file: t.file,
        bytes: sizes[i],
      }));
      return {
        file,
        bytes: sizes[sizes.length - 1],
        database: this.deps.database,
        temporalDumps,
        temporal: this.deps.temporal
          ? `with Temporal's ${temporal.map((t) => t.database).join(' and ')} (Schedules and run histories), ` +
            'dumped before the app database; algo restore restores all three'
          : devServerBackupAdvice(this.deps.devServerFile),
      };
    } finally {
      for (const dump of dumps) await fs.rm(partial(dump.file), { force: true });
    }
  }

  /**
   * Restore `file` into the app database, and in production mode the
   * Temporal dumps beside it into Temporal's databases, with its server
   * stopped; every target must be empty or absent. Then migrate and rebuild Redis.
   */
  async restore(input: { file: string }): Promise<RestoreResult> {
    const file = path.resolve(input.file);
    if (!(await exists(file))) throw new BadInputError(`no backup file ${file}`, { field: 'file' });
    const tables = await this.deps.tool.tablesOf(file);
    const temporal: Array<TemporalDatabase & { file: string; tables: string[] }> = [];
    for (const t of this.temporalDatabases()) {
      const dump = temporalDumpFile(file, t.role);
      if (await exists(dump)) temporal.push({ ...t, file: dump, tables: await t.tool.tablesOf(dump) });
    }
    const missing = this.temporalDatabases().filter((t) => !temporal.some((found) => found.role === t.role));
    if (temporal.length > 0 && missing.length > 0)
      throw new BadInputError(
        `${temporalDumpFile(file, missing[0].role)} is missing: Temporal's databases restore together or not at all ` +
          '(nothing was restored)',
        { field: 'file' },
      );
    if (temporal.length > 0 && (await this.deps.temporal!.serverAnswers())) {
      throw new ConflictError(
        `the Temporal server at ${this.deps.temporal!.address} is running; stop it first (algo stack down, ` +
          'or docker compose stop temporal): its databases cannot be restored under it (nothing was restored)',
      );
    }
    for (const target of [...temporal, { database: this.deps.database, tool: this.deps.tool }]) {
      const existing = await target.tool.existingTables();
      if (existing.length > 0) {
        throw new ConflictError(
          `database ${target.database} is not empty (${existing.length} tables, e.g. ${existing.slice(0, 3).join(', ')}); ` +
            'restore only into an empty database: point DATABASE_URL at a new one, or drop this one first ' +
            '(nothing was restored)',
        );
      }
    }
    for (const t of temporal) await t.tool.restore(t.file);
    await this.deps.tool.restore(file);
    const migrationsApplied = await this.deps.migrate();
    const states = await this.deps.rebuildStates();
    return {
      file,
      database: this.deps.database,
      tables: tables.length,
      migrationsApplied,
      states,
      temporalRestored: temporal.map((t) => ({
        role: t.role,
        database: t.database,
        file: t.file,
        tables: t.tables.length,
      })),
      temporal: !this.deps.temporal
        ? devServerBackupAdvice(this.deps.devServerFile)
        : temporal.length === TEMPORAL_DATABASE_ROLES.length
          ? "restored Temporal's databases: start the server (algo stack up); its Schedules and run histories are back"
          : NO_TEMPORAL_DUMP_ADVICE,
    };
  }

  /** Temporal's databases in dump order; none with the dev server. */
  private temporalDatabases(): TemporalDatabase[] {
    const databases = this.deps.temporal?.databases ?? [];
    return TEMPORAL_DATABASE_ROLES.flatMap((role) => databases.filter((d) => d.role === role));
  }
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  );
}
