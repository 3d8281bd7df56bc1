import { CommanderError } from 'commander';

/**
 * The CLI's exit codes, decided here and in src/cli/main.ts only:
 *
 * - 0: done;
 * - 1: failed, nothing (more) done: any error, its message on stderr. The domain
 *   errors all give 1: BadInputError and UnknownTickerError (fix the input),
 *   NotFoundError, ConflictError (a daily run of that date is already running, a
 *   reported signal is not ours), ServiceUnavailableError (Temporal or Postgres
 *   down: start the stack), ConfigurationError (fix the config); a usage error
 *   (unknown option) is commander's own 1, `--help` and `--version` 0;
 * - 2: done, but some tickers failed (ingest, sweep, recommend): the others landed.
 */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
/** The command completed, but some tickers failed; set as `process.exitCode`, the run's output tells which. */
export const EXIT_SOME_TICKERS_FAILED = 2;

/** The exit code of a command that threw `err`. */
export function exitCodeOf(err: unknown): number {
  if (err instanceof CommanderError) return err.exitCode;
  return EXIT_FAILED;
}
