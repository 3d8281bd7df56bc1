/**
 * Backups of the app database (issue 17.8). Postgres is the system of record:
 * prices, signals, subscribers, every delivery and alert sent. Redis holds
 * nothing that cannot be rebuilt from it, and Temporal keeps its own store.
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

/** How to back up Temporal's own state, which `algo backup` does not dump. */
export const TEMPORAL_BACKUP_ADVICE =
  'Temporal keeps its own state: with the dev server (algo stack up), stop it (algo stack down) and copy ' +
  '<dataDir>/temporal/temporal.db; with a Temporal server on Postgres (production mode, docker-compose), ' +
  'pg_dump --format=custom its temporal and temporal_visibility databases the same way. ' +
  'Without them, run history and Schedules are lost, not signals or deliveries: after a restore, ' +
  'recreate the Schedules with algo schedule create.';
