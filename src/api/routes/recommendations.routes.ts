import type { ApiContext, ZodApp } from '../api-context';
import { pageOfSorted } from '../pagination';
import { tickerParams } from '../schemas';
import {
  foldsResponse,
  recommendationKey,
  recommendationsQuery,
  recommendBody,
  recommendRunParams,
} from './recommendations.schemas';

/**
 * /recommendations: start a walk-forward run (admin) like `algo recommend`,
 * read a run, the current recommendations, a ticker's folds.
 */
export function registerRecommendationRoutes(app: ZodApp, ctx: ApiContext): void {
  const { recommendations } = ctx;

  app.post(
    '/recommendations',
    {
      onRequest: ctx.admin,
      schema: {
        tags: ['research'],
        summary:
          'Start a recommendation run (admin), like algo recommend: walk-forward per ticker, judged out of sample; poll GET /recommendations/runs/{id}',
        security: [{ apiKey: [] }],
        body: recommendBody,
      },
    },
    async (request, reply) => {
      const { id } = await recommendations.start({
        tickers: request.body?.tickers,
        strategies: request.body?.strategies,
      });
      return reply
        .code(202)
        .send({ id, status: 'running', links: { self: `/recommendations/runs/${id}`, current: '/recommendations' } });
    },
  );

  app.get(
    '/recommendations/runs/:id',
    {
      schema: {
        tags: ['research'],
        summary: 'A recommendation run: 202 while it runs, then its headline per ticker (or its failure); 404 unknown',
        params: recommendRunParams,
      },
    },
    async (request, reply) => {
      // The failure's own text only for the admin key (issue 18.6).
      const run = await recommendations.runStatus(request.params.id, { detail: await ctx.isAdmin(request, reply) });
      return run.status === 'running' ? reply.code(202).send(run) : run;
    },
  );

  app.get(
    '/recommendations',
    {
      schema: {
        tags: ['research'],
        summary:
          'Current recommendations by ticker (one ticker with ?ticker=), with the out-of-sample figures against buy-and-hold; paged by `limit` and `cursor`',
        querystring: recommendationsQuery,
      },
    },
    async (request) => {
      const { ticker, ...page } = request.query;
      const current = await recommendations.current(ticker);
      return pageOfSorted(current, page, {
        of: (r) => ({ ticker: r.ticker }),
        schema: recommendationKey,
        isAfter: (r, key) => r.ticker > key.ticker,
      });
    },
  );

  app.get(
    '/recommendations/:ticker/folds',
    {
      schema: {
        tags: ['research'],
        summary:
          "A ticker's current recommendation with its walk-forward folds per candidate: train/test windows, the choice made on train, its out-of-sample result against buy-and-hold",
        params: tickerParams,
        response: { 200: foldsResponse },
      },
    },
    async (request) => recommendations.folds(request.params.ticker),
  );
}
