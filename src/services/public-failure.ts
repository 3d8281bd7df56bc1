/**
 * What a public (no-key) answer says of a failed run (issue 18 point 6):
 * a plain sentence and the run's id, never the failure's own text (an
 * activity's error, a stack, SQL, a server path). The cause stays in the
 * run's Temporal history, the worker's log and the admin-key answers.
 */
export function publicFailureMessage(what: 'backtest' | 'sweep' | 'recommendation run', id: string): string {
  return `the ${what} ${id} failed on the server; the operator finds the cause in the server's logs under this id`;
}

/**
 * The `error` of a failed run's answer: its own text for the admin key
 * (`detail`) or when it failed on its request's own fault (what a 400 would
 * say: "unknown strategy ..."), else {@link publicFailureMessage}.
 */
export function failureText(
  run: { error: string; inputError: boolean },
  what: Parameters<typeof publicFailureMessage>[0],
  id: string,
  detail: boolean | undefined,
): string {
  return detail || run.inputError ? run.error : publicFailureMessage(what, id);
}

/** What a public answer says of a failed attempt that is being retried. */
export const PUBLIC_RETRY_MESSAGE = 'an error on the server; it is being retried';
