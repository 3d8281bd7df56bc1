import pc from 'picocolors';

/**
 * How a command talks to the user. With `--json`, stdout holds only the JSON
 * document; progress and logs go to stderr either way.
 */
export interface Output {
  readonly json: boolean;
  /** Print the command's result: JSON when --json, else the human rendering. */
  result(value: unknown, human: () => string): void;
  /** A progress or status line for people (stderr). */
  info(message: string): void;
  warn(message: string): void;
}

export function createOutput(json: boolean): Output {
  return {
    json,
    result(value, human) {
      process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${human()}\n`);
    },
    info(message) {
      process.stderr.write(`${message}\n`);
    },
    warn(message) {
      process.stderr.write(`${pc.yellow('warning')} ${message}\n`);
    },
  };
}

/** Colors for human output (disabled automatically when not a TTY or NO_COLOR is set). */
export const color = pc;

/** One line describing an error, without a stack trace. */
export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as { cause?: unknown }).cause;
    // Temporal wraps activity and child failures; the innermost message says why.
    if (
      cause instanceof Error &&
      err.message &&
      /Workflow execution failed|Activity task failed|Child Workflow/i.test(err.message)
    ) {
      return describeError(cause);
    }
    return err.message.split('\n')[0];
  }
  return String(err);
}
