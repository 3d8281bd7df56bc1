import crypto from 'node:crypto';
import type { Command } from 'commander';
import { checkBacktestRequestShape, type BacktestRequest, type BacktestSummary } from '../../domain/backtest/backtest-record';
import { BadInputError } from '../../domain/errors';
import { withContext } from '../context';
import { backtestWorkflow } from '../../workflows/backtest.workflow';
import { color } from '../output';
import { isoDateOption, tickerOption } from '../options';
import { formatMetricValue, formatMoney } from '../../reports/metric-format';

interface BacktestOptions {
  ticker: string;
  strategy: string;
  params?: string;
  from?: string;
  to?: string;
  capital?: string;
  feesBps?: string;
  slippageBps?: string;
}

/** `k=v,k=v` into `{k: number}`; the error names the bad pair. */
export function parseParamsOption(option: string, value: string | undefined): Record<string, number> | undefined {
  if (value === undefined) return undefined;
  const params: Record<string, number> = {};
  for (const pair of value.split(',').map((p) => p.trim()).filter(Boolean)) {
    const match = /^([A-Za-z][A-Za-z0-9_]*)=(.+)$/.exec(pair);
    if (!match) throw new BadInputError(`${option}: "${pair}" is not name=value`);
    const number = Number(match[2].trim());
    if (match[2].trim() === '' || !Number.isFinite(number)) throw new BadInputError(`${option}: parameter ${match[1]} must be a number (got "${match[2]}")`);
    params[match[1]] = number;
  }
  return params;
}

function numberOption(option: string, value: string | undefined, check: (n: number) => boolean, expected: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || !check(n)) throw new BadInputError(`${option}: "${value}" is not ${expected}`);
  return n;
}

/** The workflow input from the command's options; every option is validated here, at the edge. */
export function backtestRequest(opts: BacktestOptions): BacktestRequest {
  const request: BacktestRequest = {
    ticker: tickerOption('--ticker', opts.ticker),
    strategy: opts.strategy,
    params: parseParamsOption('--params', opts.params),
    from: isoDateOption('--from', opts.from),
    to: isoDateOption('--to', opts.to),
    capital: numberOption('--capital', opts.capital, (n) => n > 0, 'a positive number'),
    feesBps: numberOption('--fees-bps', opts.feesBps, (n) => n >= 0, 'a number >= 0'),
    slippageBps: numberOption('--slippage-bps', opts.slippageBps, (n) => n >= 0 && n < 10_000, 'a number in [0, 10000)'),
  };
  // Strategy, parameters and date order are checked before anything starts (the workflow checks again, with the stored range).
  checkBacktestRequestShape(request);
  return request;
}

/** The human rendering: headline, key metrics, trades count and where the report is. */
export function renderBacktest(s: BacktestSummary): string {
  const m = s.metrics;
  const params = Object.entries(s.params).map(([k, v]) => `${k}=${v}`).join(', ');
  const row = (label: string, value: string) => `  ${label.padEnd(18)} ${value}`;
  return [
    `${color.bold(`${s.ticker} ${s.strategy}`)} (${params}) ${s.startDate} to ${s.endDate}`,
    row('capital', `${formatMoney(s.initialCapital)} -> ${formatMoney(s.finalCapital)}`),
    row('return', formatMetricValue('signedPct', s.returnPct)),
    row('buy & hold', formatMetricValue('signedPct', m.buyAndHoldReturnPct)),
    row('CAGR', formatMetricValue('signedPct', m.cagrPct)),
    row('max drawdown', formatMetricValue('pct', m.maxDrawdownPct)),
    row('Sharpe', formatMetricValue('ratio', m.sharpe)),
    row('Sortino', formatMetricValue('ratio', m.sortino)),
    row('exposure', formatMetricValue('pct', m.exposurePct)),
    row('trades', `${s.numTrades} (win rate ${formatMetricValue('pct', m.winRatePct)}, profit factor ${formatMetricValue('ratio', m.profitFactor)})`),
    row('report', s.report),
    color.dim(`run ${s.id}`),
  ].join('\n');
}

/** `algo backtest`. */
export function registerBacktestCommands(program: Command): void {
  program
    .command('backtest')
    .description('backtest a strategy on one ticker\'s stored prices (runs the backtest workflow and waits)')
    .requiredOption('--ticker <ticker>', 'ticker with stored prices, e.g. AAPL')
    .requiredOption('--strategy <name>', 'strategy name, e.g. sma_cross')
    .option('--params <k=v,...>', 'strategy parameters over the defaults, e.g. fast=10,slow=30')
    .option('--from <date>', 'first day, YYYY-MM-DD (default: the first stored day)')
    .option('--to <date>', 'last day, YYYY-MM-DD (default: the last stored day)')
    .option('--capital <n>', 'starting capital (default 1000)')
    .option('--fees-bps <n>', 'commission in basis points of each fill (default 0)')
    .option('--slippage-bps <n>', 'slippage in basis points (default 0)')
    .action(async (opts: BacktestOptions, cmd: Command) => {
      const request = backtestRequest(opts);
      await withContext(cmd, async (ctx) => {
        const client = await ctx.temporal();
        const handle = await client.workflow.start(backtestWorkflow, {
          taskQueue: ctx.config.temporal.taskQueue,
          workflowId: `backtest-${request.ticker}-${request.strategy}-${crypto.randomUUID().slice(0, 8)}`,
          args: [request],
        });
        ctx.out.info(`backtest ${handle.workflowId} started`);
        const summary = await handle.result();
        ctx.out.result(summary, () => renderBacktest(summary));
      });
    });
}
