import type { DailyRunResult } from '../../workflows/daily-run.workflow';
import type { ApiContext, ZodApp } from '../api-context';
import { HttpError } from '../errors';
import { pageOf } from '../pagination';
import { runItem, runsQuery } from './research.schemas';

/** The parts of a daily run's result the runs page reads (older results lack `stale` and `counts`, and list all four kinds in `signals`). */
type RunResult = Partial<DailyRunResult>;

/** GET /runs (admin): recent daily runs with per-ticker status, stale tickers, email counts and their Temporal UI links. */
export function registerRunRoutes(app: ZodApp, ctx: ApiContext): void {
  app.get(
    '/runs',
    {
      onRequest: ctx.admin,
      schema: {
        tags: ['runs'],
        summary: 'Recent daily runs (admin), newest first: status, per-ticker status, stale tickers, emails sent/skipped/failed, Temporal UI link',
        security: [{ apiKey: [] }],
        querystring: runsQuery,
        response: { 200: pageOf(runItem) },
      },
    },
    async (request) => {
      const runs = ctx.deps.runs;
      const research = ctx.deps.research;
      if (!runs) throw new HttpError(503, 'unavailable', 'the run history (Temporal) is not configured');
      let listed;
      try {
        listed = await runs.history.list({ limit: request.query.limit, page: request.query.cursor });
      } catch (err) {
        const message = (err as Error).message ?? '';
        request.log.warn({ err }, 'listing daily runs failed');
        if (request.query.cursor && /page ?token/i.test(message)) throw new HttpError(400, 'bad_request', 'query.cursor: not a cursor of this list');
        throw new HttpError(503, 'unavailable', 'Temporal did not answer; is the stack up? (npm run algo -- stack up)');
      }
      const results = listed.runs.map((run) => (run.result && typeof run.result === 'object' ? (run.result as RunResult) : null));
      const dates = [...new Set(results.flatMap((r) => (r?.date ? [r.date] : [])))];
      const deliveries = research ? await research.repository.dailyDeliveries(dates) : new Map();
      const items = await Promise.all(
        listed.runs.map(async (run, i) => {
          const result = results[i];
          const tickers = (result?.tickers ?? []).map((t) => ({ ticker: t.ticker, ingestion: t.ingestion, evaluation: t.evaluation, ...(t.error ? { error: t.error } : {}) }));
          let stale: Array<{ ticker: string; lastDate: string | null }> = [];
          if (result?.stale) stale = result.stale.map((s) => ({ ticker: s.ticker, lastDate: s.lastDate ?? null }));
          else if (result?.date && result.tradingDay && research && tickers.length > 0) {
            stale = await research.repository.staleTickers(result.date, tickers.map((t) => t.ticker));
          }
          const signals = result?.signals;
          const counts = result?.counts;
          return {
            workflowId: run.workflowId,
            runId: run.runId,
            status: run.status,
            startTime: run.startTime,
            closeTime: run.closeTime,
            temporalUrl: runs.workflowUrl(run.workflowId, run.runId),
            date: result?.date ?? null,
            tradingDay: result?.tradingDay ?? null,
            closure: result?.closure ?? null,
            failure: run.failure ?? null,
            signals: counts
              ? { recorded: counts.BUY + counts.SELL + counts.HOLD + counts.WAIT, buy: counts.BUY, sell: counts.SELL }
              : signals
              ? { recorded: signals.length, buy: signals.filter((s) => s.signal === 'BUY').length, sell: signals.filter((s) => s.signal === 'SELL').length }
              : null,
            notifications: result?.notifications ?? null,
            deliveries: (result?.date && deliveries.get(result.date)) || null,
            tickers,
            stale,
          };
        }),
      );
      return { items, nextCursor: listed.nextPage };
    },
  );
}
