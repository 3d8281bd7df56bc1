import { z } from 'zod';
import type { ApiContext, ZodApp } from '../api-context';
import { cursorKey, encodeCursor, pageOf } from '../pagination';
import { trackRecordItem, trackRecordQuery } from './research.schemas';

const pairKey = z.object({ ticker: z.string(), strategy: z.string() });

/** /track-record: how the emailed signals did, next to what a backtest promised. */
export function registerTrackRecordRoutes(app: ZodApp, ctx: ApiContext): void {
  app.get(
    '/track-record',
    {
      schema: {
        tags: ['research'],
        summary:
          'Per strategy and ticker: forward hit rates at 5/20/60 days of the signals actually emailed (BUY up, SELL down), next to what a backtest promised',
        querystring: trackRecordQuery,
        response: { 200: pageOf(trackRecordItem) },
      },
    },
    async (request) => {
      const { ticker, strategy, limit, cursor } = request.query;
      const page = await ctx.research().trackRecord({ ticker, strategy, limit, after: cursorKey(cursor, pairKey) });
      return {
        items: page.items,
        nextCursor: page.last ? encodeCursor({ ticker: page.last.ticker, strategy: page.last.strategy }) : null,
      };
    },
  );
}
