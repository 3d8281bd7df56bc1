import crypto from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from './errors';
import type { FailureLimit } from './rate-limits';

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

/** The admin key's checks, with wrong keys counted per client ({@link FailureLimit}). */
export interface AdminAuth {
  /** An onRequest hook: 401 unless `x-api-key` is the admin key; 429 while this client has sent too many wrong ones. */
  require(request: FastifyRequest, reply: FastifyReply): Promise<void>;
  /** For endpoints where the key only unlocks more detail: true with a valid key, false without one, 401 with a wrong one. */
  isAdmin(request: FastifyRequest, reply: FastifyReply): Promise<boolean>;
}

/**
 * The admin key checked in one place. A presented key is first refused with
 * 429 when its client has sent `api.rateLimit.adminKeyFailures` wrong keys in
 * the window (even the right key: guessing stops being worth it); a wrong key
 * counts one failure and answers 401. A request without a key guesses nothing
 * and counts nothing.
 */
export function createAdminAuth(apiKey: string, failures: FailureLimit): AdminAuth {
  async function check(request: FastifyRequest, reply: FastifyReply, presented: string): Promise<void> {
    await failures.refuseIfBlocked(request, reply);
    if (apiKeyMatches(presented, apiKey)) return;
    await failures.fail(request);
    throw new HttpError(401, 'unauthorized', 'invalid x-api-key header');
  }
  return {
    async require(request, reply) {
      const presented = presentedApiKey(request);
      if (presented === undefined) {
        throw new HttpError(401, 'unauthorized', 'this endpoint needs a valid x-api-key header');
      }
      await check(request, reply, presented);
    },
    async isAdmin(request, reply) {
      const presented = presentedApiKey(request);
      if (presented === undefined) return false;
      await check(request, reply, presented);
      return true;
    },
  };
}
