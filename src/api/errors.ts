import type { FastifyError, FastifyInstance } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import {
  BadInputError,
  ConfigurationError,
  ConflictError,
  GoneError,
  NotFoundError,
  ServiceUnavailableError,
  UnknownTickerError,
} from '../domain/errors';
import {
  fieldSentence,
  fieldSentences,
  joinSentences,
  sentenceOfMessage,
  type FieldProblem,
  type FieldSentence,
} from '../domain/field-sentences';

/** The JSON body of every error response. */
export interface ErrorBody {
  error: string;
  message: string;
  /**
   * The request field at fault when one is (a 400 of a form): its path in the
   * body or query, `from` or `params.fast`, so a form shows the message next to it.
   */
  field?: string;
  /**
   * A 400's sentence per field at fault, for people ("Slippage must be below
   * 10,000 bps."), each beside its field's path as in `field`.
   */
  errors?: FieldSentence[];
}

/** An error that carries its HTTP status and public message (safe to show the client). */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

const CODES: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  404: 'not_found',
  410: 'gone',
  405: 'method_not_allowed',
  406: 'not_acceptable',
  413: 'payload_too_large',
  414: 'uri_too_long',
  415: 'unsupported_media_type',
  431: 'headers_too_large',
};

/** Keep client-facing messages short and on one line. */
const clip = (message: string) => message.replace(/[\r\n]+/g, ' ').slice(0, 300);

/** The validation issues of a 400 (fastify-type-provider-zod keeps each zod issue's code and limits), at most five. */
function validationProblems(err: FastifyError): Array<{ path: string; problem: FieldProblem }> {
  return (err.validation ?? []).slice(0, 5).map((v) => ({
    path: v.instancePath.split('/').filter(Boolean).join('.'),
    problem: { ...(v.params as object), code: v.keyword, message: v.message ?? '' } as FieldProblem,
  }));
}

/**
 * `{ field, errors }` of a domain input error that names its field: the
 * field's sentence from the check's problem when it gives one, else from its message.
 */
const fieldOf = (error: unknown): Pick<ErrorBody, 'field' | 'errors'> => {
  const { field, problem, message } = error as BadInputError;
  if (typeof field !== 'string') return {};
  const sentence = problem ? `${fieldSentence(field, problem)}.` : sentenceOfMessage(field, clip(message));
  return { field, errors: [{ field, message: sentence }] };
};

/**
 * Map every error to a response that tells the client what was wrong and
 * nothing about the server: validation and domain input errors are 400 (404
 * for an unknown ticker), fastify's own 4xx keep their status, everything
 * else is logged and answered with a generic 500.
 */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (hasZodFastifySchemaValidationErrors(error)) {
      // One sentence per field for people, each beside its field's path for the form that shows it there.
      const errors = fieldSentences(validationProblems(error));
      const field = errors[0]?.field;
      return reply.code(400).send({
        error: 'bad_request',
        message: joinSentences(errors) || 'The request is not valid.',
        ...(field ? { field } : {}),
        errors,
      } satisfies ErrorBody);
    }
    if (error instanceof HttpError) {
      if (error.statusCode >= 500) request.log.error({ err: error.cause ?? error }, error.message);
      return reply
        .code(error.statusCode)
        .send({ error: error.code, message: error.message, ...fieldOf(error) } satisfies ErrorBody);
    }
    if (error instanceof UnknownTickerError) {
      return reply
        .code(404)
        .send({ error: 'not_found', message: clip(error.message), ...fieldOf(error) } satisfies ErrorBody);
    }
    if (error instanceof GoneError) {
      // Deleted for good, or a genuine link past its expiry (`link_expired`: its page offers a new link).
      return reply.code(410).send({ error: error.code, message: clip(error.message) } satisfies ErrorBody);
    }
    if (error instanceof NotFoundError) {
      return reply
        .code(404)
        .send({ error: 'not_found', message: clip(error.message), ...fieldOf(error) } satisfies ErrorBody);
    }
    if (error instanceof ServiceUnavailableError) {
      request.log.warn({ err: error.cause ?? error }, error.message);
      return reply.code(503).send({ error: 'unavailable', message: clip(error.message) } satisfies ErrorBody);
    }
    if (error instanceof ConflictError) {
      return reply.code(409).send({ error: 'conflict', message: clip(error.message) } satisfies ErrorBody);
    }
    if (error instanceof BadInputError) {
      return reply
        .code(400)
        .send({ error: 'bad_request', message: clip(error.message), ...fieldOf(error) } satisfies ErrorBody);
    }
    if (error instanceof ConfigurationError) {
      // The operator's to fix (a refused SMTP login): logged in full, the client told only that it is not its fault.
      request.log.error({ err: error }, error.message);
      return reply.code(503).send({
        error: 'service_unavailable',
        message:
          'the server cannot do this now: its configuration needs fixing (the operator has been told in its log)',
      } satisfies ErrorBody);
    }
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      // Fastify's own client errors (bad JSON, body too large, wrong media type): their messages name no internals.
      return reply
        .code(status)
        .send({ error: CODES[status] ?? 'bad_request', message: clip(error.message) } satisfies ErrorBody);
    }
    // The details (message, stack, SQL, paths) go to the log under the request's id; the client gets the id only.
    request.log.error({ err: error }, 'unexpected error');
    return reply.code(status === 503 ? 503 : 500).send({
      error: 'internal_error',
      message: `internal error (request ${request.id}); the details are in the server's log`,
    } satisfies ErrorBody);
  });

  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send({
      error: 'not_found',
      message: `no route ${request.method} ${clip(request.url.split('?')[0]).slice(0, 100)}`,
    } satisfies ErrorBody);
  });
}
