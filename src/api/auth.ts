import crypto from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { HttpError } from './errors';

const digest = (value: string) => crypto.createHash('sha256').update(value).digest();

/** Constant-time comparison of a presented key with the configured one (hashing first equalises lengths). */
export function apiKeyMatches(presented: string | undefined, expected: string): boolean {
  if (typeof presented !== 'string' || presented.length === 0) return false;
  return crypto.timingSafeEqual(digest(presented), digest(expected));
}

/** The admin key presented in `x-api-key`, if any (a repeated header counts as absent). */
export function presentedApiKey(request: FastifyRequest): string | undefined {
  const value = request.headers['x-api-key'];
  return typeof value === 'string' ? value : undefined;
}

/** A preHandler that answers 401 unless `x-api-key` equals `apiKey`. */
export function requireApiKey(apiKey: string) {
  return async (request: FastifyRequest): Promise<void> => {
    if (!apiKeyMatches(presentedApiKey(request), apiKey)) {
      throw new HttpError(401, 'unauthorized', 'this endpoint needs a valid x-api-key header');
    }
  };
}

/** For endpoints where the key only unlocks more detail: true with a valid key, false without one, 401 with a wrong one. */
export function isAdmin(request: FastifyRequest, apiKey: string): boolean {
  const presented = presentedApiKey(request);
  if (presented === undefined) return false;
  if (!apiKeyMatches(presented, apiKey)) throw new HttpError(401, 'unauthorized', 'invalid x-api-key header');
  return true;
}
