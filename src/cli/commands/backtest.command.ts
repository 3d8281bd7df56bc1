import type { Command } from 'commander';
import type { BacktestRequest, BacktestSummary } from '../../domain/backtest/backtest-record';
import { BadInputError } from '../../domain/errors';
import { backtestHeadline, formatMetricValue, formatMoney } from '../../reports/metric-format';
import { withContext } from '../context';
import { color } from '../output';

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
  for (const pair of value
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const match = /^([A-Za-z][A-Za-z0-9_]*)=(.+)$/.exec(pair);
    if (!match) throw new BadInputError(`${option}: "${pair}" is not name=value`);
    const number = Number(match[2].trim());
    if (match[2].trim() === '' || !Number.isFinite(number))
      throw new BadInputError(`${option}: parameter ${match[1]} must be a number (got "${match[2]}")`);
    params[match[1]] = number;
  }
  return params;
}

/** A number option as typed (NaN for text that is no number); the domain's rule judges its value. */
function numberOption(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  return value.trim() === '' ? Number.NaN : Number(value);
}

/**
 * The backtest request from the command's options: text turned into numbers
 * only. Every rule (ticker, strategy, parameters, dates, limits) is the
 * domain's, checked by the backtest service, so the CLI and the API refuse
 * the same inputs with the same message.
 */
export function backtestRequest(opts: BacktestOptions): BacktestRequest {
  return {
    ticker: opts.ticker,
    strategy: opts.strategy,
    params: parseParamsOption('--params', opts.params),
    from: opts.from,
    to: opts.to,
    capital: numberOption(opts.capital),
    feesBps: numberOption(opts.feesBps),
    slippageBps: numberOption(opts.slippageBps),
  };
}

/** The human rendering of the one summary: the headline the report shows, then where the report is. */
export function renderBacktest(s: BacktestSummary): string {
  const params = Object.entries(s.params)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  const row = (label: string, value: string) => `  ${label.padEnd(18)} ${value}`;
  const m = s.metrics;
  return [
    `${color.bold(`${s.ticker} ${s.strategy}`)} (${params}) ${s.startDate} to ${s.endDate}`,
    row('Capital', `${formatMoney(s.initialCapital)} -> ${formatMoney(s.finalCapital)}`),
    ...backtestHeadline(s).map(([label, value]) => row(label, value)),
    row('CAGR', formatMetricValue('signedPct', m.cagrPct)),
    row('Win rate', formatMetricValue('pct', m.winRatePct)),
    row('Profit factor', formatMetricValue('ratio', m.profitFactor)),
    row('Report', s.report),
    color.dim(`run ${s.id}`),
  ].join('\n');
}

/** `algo backtest`. */
export function registerBacktestCommands(program: Command): void {
  program
    .command('backtest')
    .description("backtest a strategy on one ticker's stored prices (runs the backtest workflow and waits)")
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
        // A rule saved over the API is a strategy name like any other (loaded when the name is not a registered one).
        await ctx.services.strategies.refreshSavedFor([request.strategy]);
        const summary = await ctx.services.backtests.run(request, (started) =>
          ctx.out.info(`backtest ${started.id} started`),
        );
        ctx.out.result(summary, () => renderBacktest(summary));
      });
    });
}
