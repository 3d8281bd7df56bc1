import { Command, CommanderError } from 'commander';
import { EXIT_OK, exitCodeOf } from './exit-codes';
import { describeError, color } from './output';
import { registerCommands } from './commands';

/**
 * `algo`: the command line (exit codes: src/cli/exit-codes.ts). Each command is a thin shell over the same
 * services and Temporal client the API uses.
 */
export function buildProgram(): Command {
  const program = new Command('algo')
    .description('Trading signals: prices, indicators, strategies, emails and backtests on Temporal')
    .option('--json', 'machine-readable output on stdout (logs and progress go to stderr)', false)
    .showHelpAfterError()
    .exitOverride();
  registerCommands(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    // A command that completed with a partial failure says so in process.exitCode (2: some tickers failed).
    return typeof process.exitCode === 'number' ? process.exitCode : Number(process.exitCode ?? EXIT_OK) || EXIT_OK;
  } catch (err) {
    // Commander has printed its own usage error or help.
    if (!(err instanceof CommanderError)) process.stderr.write(`${color.red('error')} ${describeError(err)}\n`);
    return exitCodeOf(err);
  }
}

/** Resolves once everything written to `stream` so far has been handed to the OS (a pipe may be full). */
const flushed = (stream: NodeJS.WriteStream) => new Promise<void>((resolve) => stream.write('', () => resolve()));

/**
 * The one exit path of every command: wait until stdout and stderr are
 * flushed, then exit (Temporal's native runtime keeps handles open, so the
 * process would not end by itself). Exiting at once truncates output piped to
 * a slower reader at the pipe's buffer size.
 */
export async function exitAfterFlush(code: number): Promise<never> {
  await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
  process.exit(code);
}

if (require.main === module) {
  void main(process.argv)
    .catch((err: unknown) => {
      process.stderr.write(`${color.red('error')} ${describeError(err)}\n`);
      return exitCodeOf(err);
    })
    .then((code) => exitAfterFlush(code));
}
