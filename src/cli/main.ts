import { Command, CommanderError } from 'commander';
import { describeError, color } from './output';
import { registerCommands } from './commands';

/**
 * `algo`: the command line. Each command is a thin shell over the same
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
    return typeof process.exitCode === 'number' ? process.exitCode : Number(process.exitCode ?? 0) || 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode;
    }
    process.stderr.write(`${color.red('error')} ${describeError(err)}\n`);
    return 1;
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
      return 1;
    })
    .then((code) => exitAfterFlush(code));
}
