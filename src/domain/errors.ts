import type { FieldProblem } from './field-sentences';

/**
 * Domain errors. Every error that is the caller's fault (bad input, unknown
 * ticker, malformed file) extends {@link BadInputError}; activities turn those
 * into non-retryable Temporal failures, everything else is retried.
 */
export class DomainError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * Input that will never become valid by retrying: reject it with a clear
 * reason. `field` names the input at fault as a request's field path
 * (`from`, `params.fast`) when there is one, so that a form can show the
 * message next to that field. `problem` says what is wrong in the words of
 * a validation issue (a limit and its kind), from which the API writes the
 * field's sentence for people (src/domain/field-sentences.ts).
 */
export class BadInputError extends DomainError {
  readonly field?: string;
  readonly problem?: FieldProblem;
  constructor(message: string, options: { field?: string; problem?: FieldProblem } = {}) {
    super(message);
    if (options.field) this.field = options.field;
    if (options.problem) this.problem = options.problem;
  }
}

/** A ticker the system has no data for. */
export class UnknownTickerError extends BadInputError {
  constructor(readonly ticker: string) {
    super(`unknown ticker ${ticker}: it has no stored prices (ingest it first)`, { field: 'ticker' });
  }
}

/** A market-data source that cannot be read (missing file, garbage response). */
export class MarketDataError extends BadInputError {}

/** A request that contradicts what the system recorded or computes (the API answers 409). */
export class ConflictError extends DomainError {}

/** A failure that may go away on its own (network, a provider's 5xx): retry it. */
export class TransientError extends DomainError {}

/**
 * The operator's configuration is wrong (a refused SMTP login, a server that
 * requires one): retrying cannot help until it is fixed, and nothing is the
 * fault of the input at hand, so nothing is recorded as failed for good.
 */
export class ConfigurationError extends DomainError {}

/** The names of every non-retryable error type, for Temporal retry policies. */
export const NON_RETRYABLE_ERROR_TYPES = [
  'BadInputError',
  'UnknownTickerError',
  'MarketDataError',
  'ConfigurationError',
  'MailerConfigurationError',
] as const;

/** Something the request names does not exist (the API answers 404). */
export class NotFoundError extends DomainError {}

/** Something the request names existed and was deleted for good, such as an expired public backtest (the API answers 410). */
export class GoneError extends NotFoundError {
  /** The API's error code: `gone`, or a more precise one (`link_expired`). */
  readonly code: string = 'gone';
}

/**
 * A service the system depends on (the workflow service, a database) did not
 * answer in time: the request may succeed later (the API answers 503).
 */
export class ServiceUnavailableError extends DomainError {}
