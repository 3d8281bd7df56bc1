import { z } from 'zod';
import type { ApiContext, ZodApp } from '../api-context';
import { cursorKey, encodeCursor } from '../pagination';
import { signalsQuery } from '../schemas';
import { signalParams, signalResponse } from './research.schemas';

/** The cursor key of a signal: its primary key. */
const signalKey = z.object({ date: z.string().max(10), ticker: z.string().max(40), strategy: z.string().max(100) });

/** /signals: recorded signals (paged), and one signal's "why" page (research service). */
export function registerSignalRoutes(app: ZodApp, ctx: ApiContext): void {
  app.get(
    '/signals',
    {
      schema: {
        tags: ['signals'],
        summary:
          'Recorded signals with the numbers behind them, ascending by date (give date, from or ticker); ' +
          'paged: `limit` (default 500, at most 5000) and `cursor` (the `nextCursor` of the previous page). ' +
          "The page is `items`; `signals` (the same list) and `count` (the page's) are kept for old clients",
        querystring: signalsQuery,
      },
    },
    async (request) => {
      const { limit, cursor, ...query } = request.query;
      const page = await ctx.signals.list(query, { limit, after: cursorKey(cursor, signalKey) });
      const nextCursor = page.next ? encodeCursor(page.next) : null;
      return { items: page.items, nextCursor, signals: page.items, count: page.items.length };
    },
  );

  app.get(
    '/signals/:ticker/:strategy/:date',
    {
      schema: {
        tags: ['research'],
        summary:
          'One recorded signal: the numbers behind it, the rule in words, forward returns at 5/20/60 trading days, its recommendation',
        params: signalParams,
        response: { 200: signalResponse },
      },
    },
    async (request) => {
      const { ticker, strategy, date } = request.params;
      return ctx.research().signalPage(ticker, strategy, date);
    },
  );
}
