import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import type { ApiRateLimits } from '../config/config';
import type { TokenPurpose, TokenSigner } from '../domain/subscriptions';
import { HttpError } from './errors';

/** What {@link registerRateLimits} needs; without `redis` the counts live in this process only. */
export interface RateLimitDeps {
  limits: ApiRateLimits;
  /** The shared store, so that every API process counts together. */
  redis?: Redis;
  /** Prefix of the Redis keys (default `rate-limit:`). */
  nameSpace?: string;
}

/** preHandlers of the public endpoints: per client IP and per email address, or per address only. */
export interface PublicRateLimits {
  /** Per client IP and per address: subscribe, confirm, manage, the unsubscribe page. */
  clientAndAddress(request: FastifyRequest, reply: FastifyReply): Promise<void>;
  /**
   * Per address only: the RFC 8058 one-click POST, which mail providers send
   * from a few servers of their own for all their users.
   */
  address(request: FastifyRequest, reply: FastifyReply): Promise<void>;
}

const TOKEN_PURPOSES: readonly TokenPurpose[] = ['confirm', 'unsubscribe', 'manage'];

/** The address a public request is about: the `email` of its body, or the one a genuine token carries. */
function addressOf(request: FastifyRequest, signer: TokenSigner): string | undefined {
  const body = (request.body ?? {}) as { email?: unknown; token?: unknown };
  if (typeof body.email === 'string') return body.email.trim().toLowerCase();
  const query = (request.query ?? {}) as { token?: unknown };
  const header = request.headers['x-manage-token'];
  const token = [body.token, query.token, header].find((t): t is string => typeof t === 'string' && t.length > 0);
  if (!token) return undefined;
  for (const purpose of TOKEN_PURPOSES) {
    const claims = signer.verify(token, purpose);
    if (claims) return claims.email;
  }
  return undefined;
}

/** Nothing limited: for embedders and tests that do not configure limits. */
export const NO_RATE_LIMITS: PublicRateLimits = { clientAndAddress: async () => undefined, address: async () => undefined };

/** Register @fastify/rate-limit on `app`: the Redis store, no global limit (only the routes given {@link publicRateLimits}). */
export function registerRateLimitPlugin(app: FastifyInstance, deps: RateLimitDeps): void {
  void app.register(rateLimit, {
    global: false,
    ...(deps.redis ? { redis: deps.redis, nameSpace: deps.nameSpace ?? 'rate-limit:' } : {}),
    // A Redis outage must not take subscribe/unsubscribe down with it: count nothing until it is back.
    skipOnError: true,
  });
}

/**
 * The public endpoints' limits from config, over the plugin of
 * {@link registerRateLimitPlugin} (call once it is loaded: inside `app.after()`).
 * Two counters, each in its own window: one per client IP, one per email
 * address (named in the body or carried by the link's token). The N+1th
 * request in a window answers 429 `{"error":"too_many_requests","message":...}`
 * with `retry-after`.
 */
export function publicRateLimits(app: FastifyInstance, limits: ApiRateLimits, signer: TokenSigner): PublicRateLimits {
  const perClient = app.createRateLimit({
    max: limits.perClient.max,
    timeWindow: limits.perClient.windowSeconds * 1000,
    keyGenerator: (request) => `client:${request.ip}`,
  });
  const perAddress = app.createRateLimit({
    max: limits.perAddress.max,
    timeWindow: limits.perAddress.windowSeconds * 1000,
    keyGenerator: (request) => `address:${addressOf(request, signer) ?? ''}`,
  });

  async function check(limiter: typeof perClient, what: string, request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const result = await limiter(request);
    if (result.isAllowed || !result.isExceeded) return;
    void reply.header('retry-after', result.ttlInSeconds);
    throw new HttpError(429, 'too_many_requests', `too many requests ${what}: at most ${result.max} in ${Math.round(result.timeWindow / 1000)} s; retry in ${result.ttlInSeconds} s`);
  }
  const address = async (request: FastifyRequest, reply: FastifyReply) => {
    if (addressOf(request, signer) !== undefined) await check(perAddress, 'for this address', request, reply);
  };
  return {
    async clientAndAddress(request, reply) {
      await check(perClient, 'from this client', request, reply);
      await address(request, reply);
    },
    address,
  };
}
