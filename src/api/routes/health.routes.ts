import type { ApiContext, ZodApp } from '../api-context';

/** GET /health: liveness and database reachability. */
export function registerHealthRoutes(app: ZodApp, ctx: ApiContext): void {
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
}
