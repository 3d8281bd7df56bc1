import { z } from 'zod';
import type { ApiContext, ZodApp } from '../api-context';
import type { HttpRequestMetrics } from '../http-metrics';

/** How long one readiness check may take before it counts as down. */
const READY_CHECK_TIMEOUT_MS = 2_000;

/** One check within its timeout: `ok`, or `down: <why>`. */
async function probe(check: () => Promise<void>): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no answer within ${READY_CHECK_TIMEOUT_MS} ms`)),
      READY_CHECK_TIMEOUT_MS,
    );
  });
  try {
    await Promise.race([check(), timeout]);
    return 'ok';
  } catch (err) {
    return `down: ${(err instanceof Error ? err.message : String(err)).split('\n')[0]}`;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * GET /health: liveness and database reachability (what the Docker health
 * check asks). GET /ready: whether every dependency answers (database, Redis,
 * Temporal), each named, for a load balancer or an operator. GET /metrics:
 * the request counts in the Prometheus text format.
 */
export function registerHealthRoutes(app: ZodApp, ctx: ApiContext, metrics: HttpRequestMetrics): void {
  app.get(
    '/health',
    { schema: { tags: ['health'], summary: 'Liveness and database reachability' } },
    async (_request, reply) => {
      try {
        await ctx.deps.healthCheck?.();
        return { status: 'ok' };
      } catch {
        return reply.code(503).send({ status: 'unavailable', message: 'database unreachable' });
      }
    },
  );

  app.get(
    '/ready',
    {
      schema: {
        tags: ['health'],
        summary: 'Readiness: every dependency (database, Redis, Temporal) answers',
        response: {
          200: z.object({ status: z.literal('ready'), checks: z.record(z.string(), z.string()) }),
          503: z.object({ status: z.literal('not_ready'), checks: z.record(z.string(), z.string()) }),
        },
      },
    },
    async (_request, reply) => {
      const entries = Object.entries(ctx.deps.readinessChecks ?? {});
      const results = await Promise.all(entries.map(async ([name, check]) => [name, await probe(check)] as const));
      const checks = Object.fromEntries(results);
      if (results.every(([, result]) => result === 'ok')) return { status: 'ready' as const, checks };
      return reply.code(503).send({ status: 'not_ready' as const, checks });
    },
  );

  app.get(
    '/metrics',
    { schema: { tags: ['health'], summary: 'Request counts by route and status (Prometheus text format)' } },
    async (_request, reply) => reply.type('text/plain; version=0.0.4; charset=utf-8').send(metrics.render()),
  );
}
