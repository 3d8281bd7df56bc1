import type { FastifyRequest } from 'fastify';

/** Query parameters whose values are secrets: the signed tokens of the email links. */
const SECRET_QUERY = /([?&](?:token|t)=)[^&#]*/gi;

/** `url` with the value of every `token=` query parameter replaced by `[redacted]`. */
export function redactUrl(url: string): string {
  return url.replace(SECRET_QUERY, '$1[redacted]');
}

/**
 * The API's logger options: Fastify's request line without the link tokens
 * (GET /confirm?token=..., /unsubscribe, /manage): whoever reads the log must
 * not be able to confirm, unsubscribe or manage someone else's subscription.
 */
export function apiLoggerOptions(level: string, stream?: { write(line: string): void }): Record<string, unknown> {
  return {
    level,
    ...(stream ? { stream } : {}),
    serializers: {
      req: (request: FastifyRequest) => ({
        method: request.method,
        url: redactUrl(request.url),
        host: request.host,
        remoteAddress: request.ip,
        remotePort: request.socket?.remotePort,
      }),
    },
  };
}
