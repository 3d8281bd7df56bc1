import type { ApiContext, ZodApp } from '../api-context';
import { oldBacktestBody, oldBacktestResponse } from './old-backtester.schemas';

/**
 * /backtest: the old backtester's one call, for its clients, unchanged but for
 * the admin key. The same backtest as POST /backtests (the backtests service,
 * a backtest workflow, stored), waited for and answered in the old shape.
 */
export function registerOldBacktesterRoutes(app: ZodApp, ctx: ApiContext): void {
  app.post(
    '/backtest',
    {
      onRequest: ctx.admin,
      schema: {
        tags: ['backtests'],
        summary:
          'The old backtester (x-api-key): runs a backtest and waits for it; the old body and answer ' +
          '(start_date max or a trading day; cap_gains in percent, num_trades each BUY and SELL)',
        security: [{ apiKey: [] }],
        body: oldBacktestBody,
        response: { 200: oldBacktestResponse },
      },
    },
    async (request) => ({ status: 200 as const, body: await ctx.backtests.runOldBacktester(request.body) }),
  );
}
