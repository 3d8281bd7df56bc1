import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import { DEFAULT_ADMIN_KEY_FAILURES, type ApiRateLimits } from '../config/config';
import { emailAddressSchema, mailboxOf, type TokenPurpose, type TokenSigner } from '../domain/subscriptions';
import { HttpError } from './errors';

/** What {@link registerRateLimits} needs; without `redis` the counts live in this process only. */
export interface RateLimitDeps {
  limits: ApiRateLimits;
  /** The shared store, so that every API process counts together. */
  redis?: Redis;
  /** Prefix of the Redis keys (default `rate-limit:`). */
  nameSpace?: string;
}

/** A limit of one bucket: at most `max` requests per `windowSeconds`. */
export interface WindowLimit {
  max: number;
  windowSeconds: number;
}

type PreHandler = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

/** Failures of one kind counted per client IP (wrong admin keys): only failures count, and a blocked client is refused. */
export interface FailureLimit {
  /** 429 with `retry-after` when this client has used up its failures in the window; counts nothing. */
  refuseIfBlocked(request: FastifyRequest, reply: FastifyReply): Promise<void>;
  /** Count one failure of this client. */
  fail(request: FastifyRequest): Promise<void>;
}

/**
 * The API's one rate limiter (@fastify/rate-limit over the Redis store, so
 * that every API process counts together). Every route counts in its own
 * bucket: a flood of one route never answers 429 on another.
 */
export interface RateLimits {
  /** The public endpoints' limits (`api.rateLimit`): per client IP and per email address, in the route's bucket. */
  clientAndAddress: PreHandler;
  /**
   * Per client IP only (`api.rateLimit.perClient`), in the route's bucket: the
   * unsubscribe paths, which are never limited by address, so that nobody can
   * keep an address from unsubscribing by sending requests about it.
   */
  client: PreHandler;
  /** A preHandler counting per client IP in `bucket` (e.g. the public playground's backtest starts). */
  perClient(bucket: string, limit: WindowLimit): PreHandler;
  /** Wrong admin keys per client IP (`api.rateLimit.adminKeyFailures`, default 10 in 15 minutes). */
  adminKeyFailures: FailureLimit;
}

const TOKEN_PURPOSES: readonly TokenPurpose[] = ['confirm', 'unsubscribe', 'manage'];

/** The mailbox a public request is about: that of the `email` of its body, or of the address a genuine token (even expired) carries. */
function addressOf(request: FastifyRequest, signer: TokenSigner): string | undefined {
  const body = (request.body ?? {}) as { email?: unknown; token?: unknown };
  if (typeof body.email === 'string') {
    // Counted per mailbox (the email rule's canonical form, plus tags and Gmail's dots folded), however it was spelled.
    const parsed = emailAddressSchema.safeParse(body.email);
    return parsed.success ? mailboxOf(parsed.data) : body.email;
  }
  const query = (request.query ?? {}) as { token?: unknown };
  const header = request.headers['x-manage-token'];
  const token = [body.token, query.token, header].find((t): t is string => typeof t === 'string' && t.length > 0);
  if (!token) return undefined;
  for (const purpose of TOKEN_PURPOSES) {
    // An expired link counts for its address too: "send me a new link" is limited per mailbox.
    const checked = signer.check(token, purpose);
    if (checked.status !== 'invalid') return mailboxOf(checked.claims.email);
  }
  return undefined;
}

/**
 * Register @fastify/rate-limit on `app`: no global limit (only the routes
 * given a preHandler of {@link createRateLimits}), counts in Redis when
 * `deps.redis` is given, else in this process.
 */
export function registerRateLimitPlugin(app: FastifyInstance, deps?: RateLimitDeps): void {
  void app.register(rateLimit, {
    global: false,
    ...(deps?.redis ? { redis: deps.redis, nameSpace: deps.nameSpace ?? 'rate-limit:' } : {}),
    // A Redis outage must not take subscribe/unsubscribe down with it: count nothing until it is back.
    skipOnError: true,
  });
}

/** The route a request matched (its pattern, `/manage`), its bucket. */
const routeOf = (request: FastifyRequest) =>
  `${request.method}:${request.routeOptions.url ?? request.url.split('?')[0]}`;

/**
 * The limiter over the plugin of {@link registerRateLimitPlugin} (call once
 * it is loaded: inside `app.after()`). `limits` are the public endpoints'
 * (`api.rateLimit`); without them those endpoints are not limited (embedders,
 * tests). The N+1th request of a bucket in a window answers 429
 * `{"error":"too_many_requests","message":...}` with `retry-after`.
 */
export function createRateLimits(app: FastifyInstance, signer: TokenSigner, limits?: ApiRateLimits): RateLimits {
  type Limiter = ReturnType<FastifyInstance['createRateLimit']>;
  async function check(limiter: Limiter, what: string, request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const result = await limiter(request);
    if (result.isAllowed || !result.isExceeded) return;
    void reply.header('retry-after', result.ttlInSeconds);
    throw new HttpError(
      429,
      'too_many_requests',
      `too many requests ${what}: at most ${result.max} in ${Math.round(result.timeWindow / 1000)} s; retry in ${result.ttlInSeconds} s`,
    );
  }
  const limiter = (limit: WindowLimit, key: (request: FastifyRequest) => string) =>
    app.createRateLimit({ max: limit.max, timeWindow: limit.windowSeconds * 1000, keyGenerator: key });

  const perClient = (bucket: string, limit: WindowLimit): PreHandler => {
    const counter = limiter(limit, (request) => `client:${bucket}:${request.ip}`);
    return (request, reply) => check(counter, 'from this client', request, reply);
  };
  const failuresPerClient = (bucket: string, limit: WindowLimit, what: string): FailureLimit => {
    const counter = limiter(limit, (request) => `client:${bucket}:${request.ip}`);
    return {
      async refuseIfBlocked(request, reply) {
        // Read without counting: only failures count, a blocked client stays blocked until the window ends.
        const result = await counter(request, { increment: false });
        if (result.isAllowed || result.remaining > 0) return;
        void reply.header('retry-after', Math.max(1, result.ttlInSeconds));
        throw new HttpError(
          429,
          'too_many_requests',
          `too many ${what} from this client: at most ${result.max} in ${Math.round(result.timeWindow / 1000)} s; ` +
            `retry in ${Math.max(1, result.ttlInSeconds)} s`,
        );
      },
      async fail(request) {
        await counter(request);
      },
    };
  };
  const adminKeyFailures = failuresPerClient(
    'admin-key-failures',
    limits?.adminKeyFailures ?? DEFAULT_ADMIN_KEY_FAILURES,
    'wrong admin keys',
  );
  if (!limits) {
    const none: PreHandler = async () => undefined;
    return { clientAndAddress: none, client: none, perClient, adminKeyFailures };
  }
  const client = limiter(limits.perClient, (request) => `client:${routeOf(request)}:${request.ip}`);
  const address = limiter(
    limits.perAddress,
    (request) => `address:${routeOf(request)}:${addressOf(request, signer) ?? ''}`,
  );
  const byClient: PreHandler = (request, reply) => check(client, 'from this client', request, reply);
  return {
    async clientAndAddress(request, reply) {
      await byClient(request, reply);
      if (addressOf(request, signer) !== undefined) await check(address, 'for this address', request, reply);
    },
    client: byClient,
    perClient,
    adminKeyFailures,
  };
}
