import type { Command } from 'commander';
import type { SweepRequest } from '../../domain/backtest/sweep';
import { formatMetricValue, type MetricKind } from '../../reports/metric-format';
import type { RecommendationReport } from '../../services/recommendations.service';
import type { SweepResult } from '../../workflows/sweep.workflow';
import { withContext } from '../context';
import { EXIT_SOME_TICKERS_FAILED } from '../exit-codes';
import { color } from '../output';
import { positiveIntOption, tickerListOption } from '../options';

/** Exit code when the run completed but some tickers failed. */

interface SweepOptions {
  strategy: string;
  grid: string;
  tickers?: string;
  from?: string;
  to?: string;
  capital?: string;
  batchSize?: string;
}

/** `algo sweep`'s options as a sweep request: text turned into values only; the rule is the domain's (checkSweepRequest). */
export function sweepRequest(opts: SweepOptions): SweepRequest & { batchSize?: number } {
  return {
    strategy: opts.strategy,
    grid: opts.grid,
    tickers: tickerListOption('--tickers', opts.tickers),
    from: opts.from,
    to: opts.to,
    capital: opts.capital === undefined ? undefined : opts.capital.trim() === '' ? Number.NaN : Number(opts.capital),
    batchSize: positiveIntOption('--batch-size', opts.batchSize),
  };
}

const value = (kind: MetricKind) => (v: number | null | undefined) => formatMetricValue(kind, v ?? null);
const pct = value('signedPct');
/** Drawdowns are positive magnitudes, shown unsigned as everywhere. */
const drawdown = value('pct');
const ratio = value('ratio');
const paramsText = (p: Record<string, number> | null) =>
  p
    ? Object.entries(p)
        .map(([k, v]) => `${k}=${v}`)
        .join(',')
    : '-';

export function renderSweep(result: SweepResult): string {
  const lines = result.tickers.map((t) => {
    if (t.status !== 'ok' || !t.best)
      return `${color.red(t.status.padEnd(7))} ${t.ticker.padEnd(6)} ${t.error ?? 'no result'}`;
    const b = t.best;
    return `${t.ticker.padEnd(6)} best ${paramsText(b.params).padEnd(28)} return ${pct(b.returnPct).padStart(9)}  sharpe ${ratio(b.sharpe).padStart(6)}  orders ${String(b.numTrades).padStart(3)}  max dd ${drawdown(b.maxDrawdownPct)}`;
  });
  const failed = result.tickers.filter((t) => t.status !== 'ok').length;
  const skipped = result.skipped ? ` (${result.skipped} invalid sets skipped: ${result.skippedReason})` : '';
  lines.push(
    `${result.strategy} over ${result.combos} parameter sets${skipped} x ${result.tickers.length} tickers = ${result.backtests} backtests, ${failed} tickers failed; sweep ${result.sweepId}`,
  );
  return lines.join('\n');
}

function renderRecommendations(reports: readonly RecommendationReport[], runId: string): string {
  const lines: string[] = [];
  for (const r of reports) {
    if (r.strategy) {
      lines.push(
        `${color.bold(r.ticker)}: ${color.green(r.strategy)} ${paramsText(r.params)}${r.changed ? color.yellow(' (changed)') : ''}`,
      );
      lines.push(
        `  out of sample: return ${pct(r.outOfSample?.returnPct)}, sharpe ${ratio(r.outOfSample?.sharpe)}, max dd ${drawdown(r.outOfSample?.maxDrawdownPct)}, ${r.outOfSample?.trades} orders; buy-and-hold: return ${pct(r.baseline?.returnPct)}, sharpe ${ratio(r.baseline?.sharpe)}`,
      );
    } else {
      lines.push(`${color.bold(r.ticker)}: ${color.dim('no recommendation')}: ${r.reason}`);
    }
    for (const w of r.windows) {
      lines.push(
        `    test ${w.testFrom}..${w.testTo} with ${paramsText(w.params)}: return ${pct(w.test.returnPct)}, sharpe ${ratio(w.test.sharpe)}, ${w.test.trades} orders (buy-and-hold ${pct(w.buyAndHoldReturnPct)})`,
      );
    }
  }
  const recommended = reports.filter((r) => r.strategy).length;
  lines.push(`${recommended} of ${reports.length} tickers have a recommendation; run ${runId}`);
  return lines.join('\n');
}

export function registerResearchCommands(program: Command): void {
  program
    .command('sweep')
    .description(
      'backtest one strategy over a grid of parameters for many tickers (a workflow); prints the best set per ticker',
    )
    .requiredOption('--strategy <name>', 'a registered strategy')
    .requiredOption('--grid <grid>', 'parameters to sweep: name=a..b:step,... (also name=a..b, name=value)')
    .option('--tickers <list>', 'comma-separated tickers (default: every ticker with stored prices)')
    .option('--from <date>', 'first day of every backtest, YYYY-MM-DD')
    .option('--to <date>', 'last day of every backtest, YYYY-MM-DD')
    .option('--capital <n>', 'starting cash of every backtest (default 1000)')
    .option('--batch-size <n>', 'tickers per activity (default 25)')
    .action(async (opts: SweepOptions, cmd: Command) => {
      const request = sweepRequest(opts);
      await withContext(cmd, async (ctx) => {
        // A rule saved over the API is a strategy name like any other (loaded when the name is not a registered one).
        await ctx.services.strategies.refreshSavedFor([request.strategy]);
        const result = await ctx.services.sweeps.run(request, (id) => ctx.out.info(`sweep ${id} started`));
        ctx.out.result(result, () => renderSweep(result));
        if (result.tickers.some((t) => t.status !== 'ok')) process.exitCode = EXIT_SOME_TICKERS_FAILED;
      });
    });

  program
    .command('recommend')
    .description(
      'walk-forward recommendation per ticker: strategies and parameters chosen on train windows, ranked on the test windows only',
    )
    .option('--tickers <list>', 'comma-separated tickers (default: every ticker with stored prices)')
    .option(
      '--strategies <list>',
      'candidate strategies (default: the built-ins with a recommendation grid; a rule or plugin named here is walked forward on a grid around its defaults)',
    )
    .option('--batch-size <n>', 'tickers per activity (default 25)')
    .action(async (opts: { tickers?: string; strategies?: string; batchSize?: string }, cmd: Command) => {
      const strategies = opts.strategies
        ?.split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      const request = {
        tickers: tickerListOption('--tickers', opts.tickers),
        strategies,
        batchSize: positiveIntOption('--batch-size', opts.batchSize),
      };
      await withContext(cmd, async (ctx) => {
        // A rule saved over the API is a strategy name like any other (loaded when a name is not a registered one).
        await ctx.services.strategies.refreshSavedFor(strategies ?? []);
        const { result, reports } = await ctx.services.recommendations.run(request, (id) =>
          ctx.out.info(`recommendation ${id} started`),
        );
        ctx.out.result({ runId: result.runId, candidates: result.candidates, tickers: reports }, () =>
          renderRecommendations(reports, result.runId),
        );
        // A requested ticker without stored prices got no recommendation either: a partial failure, as in sweep.
        if (result.tickers.some((t) => t.status !== 'ok')) process.exitCode = EXIT_SOME_TICKERS_FAILED;
      });
    });
}
