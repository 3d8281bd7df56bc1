import { Context } from '@temporalio/activity';
import { buyAndHoldCurve } from '../domain/backtest/buy-and-hold';
import { runBacktest } from '../domain/backtest/engine';
import {
  backtestMetrics,
  backtestSummary,
  resolveBacktestRequest,
  type BacktestRecord,
  type BacktestRequest,
  type BacktestSummary,
  type CheckedBacktestRequest,
} from '../domain/backtest/backtest-record';
import { UnknownTickerError } from '../domain/errors';
import { backtestReportKeys, type ObjectStore } from '../domain/object-store';
import type { BacktestRepository, PriceRepository } from '../domain/ports';
import { renderBacktestReportHtml } from '../reports/backtest-report.renderer';
import { renderEquityChartSvg } from '../reports/equity-chart.renderer';

/** What the backtest activities need. */
export interface BacktestDependencies {
  prices: Pick<PriceRepository, 'bars'>;
  backtests: BacktestRepository;
  reports: ObjectStore;
  /** Annual risk-free rate of Sharpe and Sortino (default 0). */
  riskFreeRate?: number;
}

/** Backtest activities: read bars from Postgres, run the engine, render and store the report, persist the result. */
export function createBacktestActivities(deps: BacktestDependencies) {
  const resolve = (request: BacktestRequest) =>
    resolveBacktestRequest(request, (ticker) => deps.backtests.storedRange(ticker));

  return {
    /** Validate a backtest request before anything runs; non-retryable failures name the bad field. */
    async checkBacktest(request: BacktestRequest): Promise<CheckedBacktestRequest> {
      return resolve(request);
    },

    /**
     * Run one backtest and store everything: bars from Postgres (the whole
     * stored history up to `to`, so that the averages are defined from `from`),
     * the engine (the daily job's strategy code), metrics, the SVG chart and
     * HTML report in the object store, the result in Postgres. Idempotent by `id`.
     */
    async runBacktestJob(input: { id: string; request: BacktestRequest }): Promise<BacktestSummary> {
      const checked = await resolve(input.request);
      step('engine');
      const bars = await deps.prices.bars(checked.ticker, { to: checked.to });
      if (bars.length === 0) throw new UnknownTickerError(checked.ticker);
      const result = runBacktest({
        bars,
        // An inline rule runs compiled, on the same engine as a registered strategy.
        strategy: checked.inlineRule ?? checked.strategy,
        params: checked.params,
        startDate: checked.from,
        endDate: checked.to,
        initialCapital: checked.capital,
        options: checked.options,
      });
      const { metrics, roundTrips } = backtestMetrics(result, deps.riskFreeRate ?? 0);
      const closes = Array.from(result.close);
      const title = `${checked.ticker} · ${result.strategy} backtest`;
      const fills = result.initialPosition ? [result.initialPosition, ...result.trades] : result.trades;
      step('chart');
      const chartSvg = await renderEquityChartSvg({
        dates: result.dates,
        equity: Array.from(result.equity),
        buyAndHold: buyAndHoldCurve(result.initialCapital, closes),
        trades: fills.map((t) => ({ date: t.date, side: t.side, price: t.price })),
        title,
      });
      const keys = backtestReportKeys(input.id);
      const record: BacktestRecord = {
        id: input.id,
        ticker: checked.ticker,
        strategy: result.strategy,
        strategyVersion: result.strategyVersion,
        params: { ...result.params },
        options: checked.options,
        startDate: result.startDate,
        endDate: result.endDate,
        initialCapital: result.initialCapital,
        finalCapital: result.finalCapital,
        returnPct: result.returnPct,
        orders: result.orders,
        fees: result.fees,
        initialPosition: result.initialPosition,
        trades: result.trades,
        metrics,
        equityCurve: {
          dates: result.dates,
          equity: Array.from(result.equity),
          shares: Array.from(result.shares),
          close: closes,
        },
        reportKey: keys.html,
        chartKey: keys.svg,
        reportUrl: deps.reports.url(keys.html),
        ...(input.request.rule === undefined ? {} : { rule: input.request.rule }),
      };
      // The report reads the same summary the workflow returns and the API serves.
      const summary = backtestSummary(record);
      step('report');
      const html = renderBacktestReportHtml({ title, summary, trades: roundTrips, chartSvg });
      await deps.reports.put(keys.svg, chartSvg, 'image/svg+xml');
      await deps.reports.put(keys.html, html, 'text/html; charset=utf-8');
      step('saving');
      await deps.backtests.save(record);
      return summary;
    },
  };
}

/** Tell Temporal which step a backtest is at (its heartbeat details, shown as progress); a no-op outside an activity. */
function step(name: 'engine' | 'chart' | 'report' | 'saving'): void {
  try {
    Context.current().heartbeat(name);
  } catch {
    // Not in an activity context (a direct call in a test or benchmark).
  }
}
