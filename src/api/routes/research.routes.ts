import type { ApiContext, ZodApp } from '../api-context';
import { tickerParams } from '../schemas';
import { chartQuery, chartResponse, MAX_CHART_BARS, signalParams, signalResponse, stateResponse } from './research.schemas';

/**
 * The research pages' reads under /tickers and /signals: a ticker's chart and
 * state, the "why did I get this" page of one signal. Thin handlers over the
 * research service; by prefix they belong with tickers.routes.ts and
 * signals.routes.ts.
 */
export function registerResearchRoutes(app: ZodApp, ctx: ApiContext): void {
  app.get(
    '/tickers/:ticker/chart',
    {
      schema: {
        tags: ['research'],
        summary: `Bars of a date window (at most ${MAX_CHART_BARS}) with a strategy's indicators and its recorded BUY/SELL signals as markers`,
        params: tickerParams,
        querystring: chartQuery,
        response: { 200: chartResponse },
      },
    },
    async (request) => ctx.research().tickerChart(request.params.ticker, request.query),
  );

  app.get(
    '/signals/:ticker/:strategy/:date',
    {
      schema: {
        tags: ['research'],
        summary: 'One recorded signal: the numbers behind it, the rule in words, forward returns at 5/20/60 trading days, its recommendation',
        params: signalParams,
        response: { 200: signalResponse },
      },
    },
    async (request) => {
      const { ticker, strategy, date } = request.params;
      return ctx.research().signalPage(ticker, strategy, date);
    },
  );

  app.get(
    '/tickers/:ticker/state',
    {
      schema: {
        tags: ['research'],
        summary: 'Current state per strategy (configured, recommended, recorded), the recommendation with its out-of-sample evidence, latest BUY/SELL signals',
        params: tickerParams,
        response: { 200: stateResponse },
      },
    },
    async (request) => ctx.research().tickerState(request.params.ticker),
  );
}
