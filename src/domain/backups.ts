/**
 * Backups (issue 17.8). Postgres is the system of record: prices, signals,
 * subscribers, every delivery and alert sent. Redis holds nothing that cannot
 * be rebuilt from it. Temporal keeps its own store: in production mode two
 * databases on the same Postgres server, which `algo backup` dumps too.
 */

/** Dumps and restores one Postgres database. */
export interface DatabaseBackupTool {
  /** Write a consistent dump (one snapshot) of the database to `file`; its size in bytes. */
  dump(file: string): Promise<{ bytes: number }>;
  /** The tables of `file`, or a BadInputError when it is not a dump this tool can restore. */
  tablesOf(file: string): Promise<string[]>;
  /** The tables the database has now (an empty list also for a database that does not exist yet). */
  existingTables(): Promise<string[]>;
  /** Create the database if needed and restore `file` into it, all or nothing. */
  restore(file: string): Promise<void>;
}

/**
 * Temporal's two databases in production mode: `temporal` (workflow
 * histories, Schedules, namespaces) and `temporal_visibility` (the index that
 * lists them). The role names the file of its dump beside the app's:
 * `<file>.temporal`, `<file>.temporal_visibility`.
 */
export type TemporalDatabaseRole = 'temporal' | 'temporal_visibility';

/** The order Temporal's databases are dumped in, all before the app's (see {@link temporalDumpFile}). */
export const TEMPORAL_DATABASE_ROLES: readonly TemporalDatabaseRole[] = ['temporal', 'temporal_visibility'];

/** Where the dump of Temporal's `role` database lives beside the app's dump `file`. */
export const temporalDumpFile = (file: string, role: TemporalDatabaseRole): string => `${file}.${role}`;

/** What to do about Temporal's state with the dev server, whose store is one SQLite file (`<dataDir>/temporal/temporal.db`). */
export const devServerBackupAdvice = (file: string): string =>
  `Temporal keeps its own state: the dev server (algo stack up, temporal.server: dev) in the SQLite file ${file}; ` +
  'stop it (algo stack down), copy that file, start again; to restore, put the copy back while it is stopped. ' +
  'Without it, run history and Schedules are lost, not signals or deliveries: recreate the Schedules with ' +
  'algo schedule create.';

/** What to do after a restore in production mode from a dump with no Temporal dumps beside it. */
export const NO_TEMPORAL_DUMP_ADVICE =
  "no dump of Temporal's databases beside this file (a backup of another mode or version): " +
  'run history is lost, not signals or deliveries; after algo stack up, recreate the Schedules with algo schedule create.';
