import { ApplicationFailure } from '@temporalio/common';
import { BadInputError, ConfigurationError } from '../domain/errors';

/**
 * The one place domain errors become Temporal failures: bad input and a wrong
 * configuration are non-retryable (retrying cannot fix a malformed file or a
 * refused SMTP login), anything else is rethrown as is and retried by the
 * activity's retry policy.
 */
export function toTemporalFailure(err: unknown): unknown {
  if (err instanceof BadInputError || err instanceof ConfigurationError) {
    return ApplicationFailure.create({ message: err.message, type: err.name, nonRetryable: true });
  }
  return err;
}

/** Wrap every function of an activities object with {@link toTemporalFailure}. */
export function mapDomainFailures<T extends Record<string, (...args: never[]) => Promise<unknown>>>(activities: T): T {
  const wrapped: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(activities)) {
    wrapped[name] = async (...args: never[]) => {
      try {
        return await fn(...args);
      } catch (err) {
        throw toTemporalFailure(err);
      }
    };
  }
  return wrapped as T;
}
