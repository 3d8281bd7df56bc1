import crypto from 'node:crypto';
import type { Command } from 'commander';
import { PostgresRecommendationRepository } from '../../adapters/postgres/postgres-recommendation.repository';
import type { RecommendTickerResult } from '../../activities/research.activities';
import type { RecommendationEvidence } from '../../domain/ports';
import { resolveCandidates } from '../../domain/backtest/candidates';
import { parseGrid, validateGrid } from '../../domain/backtest/sweep';
import type { OutOfSample, WindowEvidence } from '../../domain/backtest/walk-forward';
import { BadInputError } from '../../domain/errors';
import { sweepWorkflow, type SweepInput, type SweepResult } from '../../workflows/sweep.workflow';
import { recommendWorkflow, type RecommendInput, type RecommendResult } from '../../workflows/recommend.workflow';
import { withContext } from '../context';
import { color } from '../output';
import { isoDateOption, positiveIntOption, tickerListOption } from '../options';

/** Exit code when the run completed but some tickers failed. */
const EXIT_SOME_TICKERS_FAILED = 2;

interface SweepOptions {
  strategy: string;
  grid: string;
  tickers?: string;
  from?: string;
  to?: string;
  capital?: string;
  batchSize?: string;
}

/** The workflow input of `algo sweep`, validated (strategy, grid, dates, capital); BadInputError names the bad option. */
export function sweepInput(opts: SweepOptions): SweepInput {
  const grid = opts.grid.trim();
  validateGrid(opts.strategy, parseGrid(grid));
  const from = isoDateOption('--from', opts.from);
  const to = isoDateOption('--to', opts.to);
  if (from && to && from > to) throw new BadInputError(`--from ${from} is after --to ${to}`);
  let capital: number | undefined;
  if (opts.capital !== undefined) {
    capital = Number(opts.capital);
    if (!Number.isFinite(capital) || capital <= 0) throw new BadInputError(`--capital: "${opts.capital}" is not a positive number`);
  }
  return {
    strategy: opts.strategy, grid, tickers: tickerListOption('--tickers', opts.tickers), from, to, capital,
    batchSize: positiveIntOption('--batch-size', opts.batchSize),
  };
}

const pct = (v: number | null | undefined) => (v === null || v === undefined ? 'n/a' : `${v >= 0 ? '+' : ''}${v.toFixed(2)}%`);
const ratio = (v: number | null | undefined) => (v === null || v === undefined ? 'n/a' : v.toFixed(2));
const paramsText = (p: Record<string, number> | null) => (p ? Object.entries(p).map(([k, v]) => `${k}=${v}`).join(',') : '-');

export function renderSweep(result: SweepResult): string {
  const lines = result.tickers.map((t) => {
    if (t.status !== 'ok' || !t.best) return `${color.red(t.status.padEnd(7))} ${t.ticker.padEnd(6)} ${t.error ?? 'no result'}`;
    const b = t.best;
    return `${t.ticker.padEnd(6)} best ${paramsText(b.params).padEnd(28)} return ${pct(b.returnPct).padStart(9)}  sharpe ${ratio(b.sharpe).padStart(6)}  trades ${String(b.numTrades).padStart(3)}  max dd ${b.maxDrawdownPct.toFixed(2)}%`;
  });
  const failed = result.tickers.filter((t) => t.status !== 'ok').length;
  const skipped = result.skipped ? ` (${result.skipped} invalid sets skipped: ${result.skippedReason})` : '';
  lines.push(`${result.strategy} over ${result.combos} parameter sets${skipped} x ${result.tickers.length} tickers = ${result.backtests} backtests, ${failed} tickers failed; sweep ${result.sweepId}`);
  return lines.join('\n');
}

/** One ticker's recommendation with its out-of-sample evidence, as `algo recommend` prints it. */
export interface RecommendationReport extends RecommendTickerResult {
  /** The recommended strategy's test windows (or, without a recommendation, the best-ranked candidate's). */
  windows: Array<Pick<WindowEvidence, 'trainFrom' | 'trainTo' | 'testFrom' | 'testTo' | 'params' | 'buyAndHoldReturnPct'> & { test: OutOfSample }>;
  /** Every candidate's stitched out-of-sample figures, ranked, with why it is not eligible. */
  candidates: Array<{ strategy: string; eligible: boolean; reason?: string; outOfSample: OutOfSample }>;
}

function renderRecommendations(reports: readonly RecommendationReport[], runId: string): string {
  const lines: string[] = [];
  for (const r of reports) {
    if (r.strategy) {
      lines.push(`${color.bold(r.ticker)}: ${color.green(r.strategy)} ${paramsText(r.params)}${r.changed ? color.yellow(' (changed)') : ''}`);
      lines.push(`  out of sample: return ${pct(r.outOfSample?.returnPct)}, sharpe ${ratio(r.outOfSample?.sharpe)}, max dd ${pct(r.outOfSample?.maxDrawdownPct)}, ${r.outOfSample?.trades} trades; buy-and-hold: return ${pct(r.baseline?.returnPct)}, sharpe ${ratio(r.baseline?.sharpe)}`);
    } else {
      lines.push(`${color.bold(r.ticker)}: ${color.dim('no recommendation')}: ${r.reason}`);
    }
    for (const w of r.windows) {
      lines.push(`    test ${w.testFrom}..${w.testTo} with ${paramsText(w.params)}: return ${pct(w.test.returnPct)}, sharpe ${ratio(w.test.sharpe)}, ${w.test.trades} trades (buy-and-hold ${pct(w.buyAndHoldReturnPct)})`);
    }
  }
  const recommended = reports.filter((r) => r.strategy).length;
  lines.push(`${recommended} of ${reports.length} tickers have a recommendation; run ${runId}`);
  return lines.join('\n');
}

export function registerResearchCommands(program: Command): void {
  program
    .command('sweep')
    .description('backtest one strategy over a grid of parameters for many tickers (a workflow); prints the best set per ticker')
    .requiredOption('--strategy <name>', 'a registered strategy')
    .requiredOption('--grid <grid>', 'parameters to sweep: name=a..b:step,... (also name=a..b, name=value)')
    .option('--tickers <list>', 'comma-separated tickers (default: every ticker with stored prices)')
    .option('--from <date>', 'first day of every backtest, YYYY-MM-DD')
    .option('--to <date>', 'last day of every backtest, YYYY-MM-DD')
    .option('--capital <n>', 'starting cash of every backtest (default 1000)')
    .option('--batch-size <n>', 'tickers per activity (default 25)')
    .action(async (opts: SweepOptions, cmd: Command) => {
      await withContext(cmd, async (ctx) => {
        const input = sweepInput(opts);
        const client = await ctx.temporal();
        const workflowId = `sweep-${input.strategy}-${crypto.randomUUID().slice(0, 8)}`;
        ctx.out.info(`sweep ${workflowId} started`);
        const result = await client.workflow.execute(sweepWorkflow, { taskQueue: ctx.config.temporal.taskQueue, workflowId, args: [input] });
        ctx.out.result(result, () => renderSweep(result));
        if (result.tickers.some((t) => t.status !== 'ok')) process.exitCode = EXIT_SOME_TICKERS_FAILED;
      });
    });

  program
    .command('recommend')
    .description('walk-forward recommendation per ticker: strategies and parameters chosen on train windows, ranked on the test windows only')
    .option('--tickers <list>', 'comma-separated tickers (default: every ticker with stored prices)')
    .option('--strategies <list>', 'candidate strategies (default: all but buy_and_hold, the baseline to beat)')
    .option('--batch-size <n>', 'tickers per activity (default 25)')
    .action(async (opts: { tickers?: string; strategies?: string; batchSize?: string }, cmd: Command) => {
      await withContext(cmd, async (ctx) => {
        const strategies = opts.strategies?.split(',').map((s) => s.trim()).filter(Boolean);
        resolveCandidates(strategies);
        const input: RecommendInput = { tickers: tickerListOption('--tickers', opts.tickers), strategies, batchSize: positiveIntOption('--batch-size', opts.batchSize) };
        const client = await ctx.temporal();
        const workflowId = `recommend-${crypto.randomUUID().slice(0, 8)}`;
        ctx.out.info(`recommendation ${workflowId} started`);
        const result = await client.workflow.execute(recommendWorkflow, { taskQueue: ctx.config.temporal.taskQueue, workflowId, args: [input] });
        const reports = await recommendationReports(new PostgresRecommendationRepository(ctx.db()), result);
        ctx.out.result({ runId: result.runId, candidates: result.candidates, tickers: reports }, () => renderRecommendations(reports, result.runId));
        // A requested ticker without stored prices got no recommendation either: a partial failure, as in sweep.
        if (result.tickers.some((t) => t.status !== 'ok')) process.exitCode = EXIT_SOME_TICKERS_FAILED;
      });
    });
}

/** The run's results with the stored out-of-sample evidence of each ticker. */
export async function recommendationReports(repository: PostgresRecommendationRepository, result: RecommendResult): Promise<RecommendationReport[]> {
  const stored = await repository.current(result.tickers.map((t) => t.ticker));
  const evidenceOf = new Map(stored.filter((s) => s.runId === result.runId).map((s) => [s.ticker, s.evidence as RecommendationEvidence]));
  return result.tickers.map((t) => {
    const evidence = evidenceOf.get(t.ticker);
    const shown = evidence?.candidates.find((c) => c.strategy === t.strategy) ?? evidence?.candidates[0];
    return {
      ...t,
      windows: (shown?.windows ?? []).map(({ trainFrom, trainTo, testFrom, testTo, params, test, buyAndHoldReturnPct }) => ({ trainFrom, trainTo, testFrom, testTo, params, test, buyAndHoldReturnPct })),
      candidates: (evidence?.candidates ?? []).map((c) => ({ strategy: c.strategy, eligible: c.eligible, ...(c.reason ? { reason: c.reason } : {}), outOfSample: c.outOfSample })),
    };
  });
}
