import type { PlaygroundRetentionPolicy, PlaygroundRetentionPorts } from '../../domain/backtest/playground-retention';
import type { PriceRepository, RecommendationStore, SweepReader } from '../../domain/ports';
import type { ApiContext, ZodApp } from '../api-context';
import { backtestBody } from './backtests.schemas';

/** What the web app's playground and sweep/recommendation pages read (those routes answer 503 without). */
export interface PlaygroundDeps {
  /** Bars of a backtest's window, for the price chart. */
  bars: Pick<PriceRepository, 'bars'>;
  sweeps: SweepReader;
  recommendations: Pick<RecommendationStore, 'current'>;
  /** Backtests one client (IP) may start per minute without the API key (default 20). */
  startsPerMinute?: number;
  /** Where public results are recorded, and how long and how many are kept (config `playground`); absent: not recorded. */
  retention?: PlaygroundRetentionPorts & { policy: PlaygroundRetentionPolicy };
}

/** /playground/backtests: the web app's public, rate-limited backtest start (the same service and rule as POST /backtests). */
export function registerPlaygroundRoutes(app: ZodApp, ctx: ApiContext): void {
  const { backtests } = ctx;
  // The shared limiter (Redis-backed in production): every API process counts together.
  const startsLimit = ctx.limits.perClient('playground-backtests', {
    max: ctx.deps.playground?.startsPerMinute ?? 20,
    windowSeconds: 60,
  });

  app.post(
    '/playground/backtests',
    {
      schema: {
        tags: ['playground'],
        summary:
          'Start a backtest from the web playground (no key; a few per minute per client); poll GET /backtests/{id}',
        body: backtestBody,
      },
    },
    async (request, reply) => {
      // Checked first: a form's mistakes do not use up the allowance.
      // Public: it expires after playground.retentionDays and counts against playground.maxStoredResults.
      const { id, runId } = await backtests.start(request.body, () => startsLimit(request, reply), { public: true });
      const links = { self: `/backtests/${id}`, chart: `/backtests/${id}/chart`, report: `/backtests/${id}/report` };
      return reply.code(202).send({ id, status: 'running', runId, links });
    },
  );
}
