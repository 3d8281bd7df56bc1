import type { Command } from 'commander';
import type { DailyRunRequest } from '../../domain/daily-run-request';
import type { DailyRunResult } from '../../workflows/daily-run.workflow';
import type { WorkflowStarted } from '../../services/temporal-gateway';
import { dailyRunHeadline } from '../../services/daily-run-headline';
import { withContext, type CliContext } from '../context';
import { color } from '../output';
import { isoDateOption, marketDataOptions, tickerListOption } from '../options';

interface DailyOptions {
  date?: string;
  tickers?: string;
  provider?: string;
  dir?: string;
}

/**
 * The request of `algo run-daily`: only what the options give. The service
 * dates it (today in New York) and the run takes the rest from the worker's
 * config, as for `POST /runs/daily` and the Schedule.
 */
export function dailyRunRequest(ctx: CliContext, opts: DailyOptions): DailyRunRequest {
  const request: DailyRunRequest = {};
  const date = isoDateOption('--date', opts.date);
  if (date) request.date = date;
  const tickers = tickerListOption('--tickers', opts.tickers);
  if (tickers) request.tickers = tickers;
  if (opts.provider !== undefined || opts.dir !== undefined) {
    // Checks the names, the order and the directory; passes on only what was given.
    const { provider, providers, csvDir } = marketDataOptions(ctx.config.marketData, opts);
    if (opts.provider !== undefined) Object.assign(request, { provider }, providers ? { providers } : {});
    if (opts.dir !== undefined) request.csvDir = csvDir;
  }
  return request;
}

/** Run a daily run through the service and wait for it, telling where to watch it. One run per date at a time. */
export async function runDaily(
  ctx: CliContext,
  request: DailyRunRequest,
  onStarted?: (started: WorkflowStarted) => void,
): Promise<DailyRunResult> {
  return ctx.services.dailyRuns.run(request, (started) => {
    ctx.out.info(`daily run ${started.workflowId} started; watch it at ${started.url}`);
    onStarted?.(started);
  });
}

/** `AAPL since 2018-02-07, MSFT (no data at all)`, grouped by last bar date, at most `max` names. */
export function describeStale(stale: ReadonlyArray<{ ticker: string; lastDate: string | null }>, max = 20): string {
  const byDate = new Map<string, string[]>();
  for (const s of stale) {
    const key = s.lastDate ?? '';
    byDate.set(key, [...(byDate.get(key) ?? []), s.ticker]);
  }
  const groups = [...byDate]
    .sort(([a], [b]) => (a < b ? 1 : -1))
    .map(([date, tickers]) => {
      const names =
        tickers.length > max
          ? `${tickers.slice(0, max).join(', ')} and ${tickers.length - max} more`
          : tickers.join(', ');
      return date ? `${names} since ${date}` : `${names} (no data at all)`;
    });
  return groups.join('; ');
}

export function renderDailyRun(result: DailyRunResult): string {
  const headline = dailyRunHeadline(result) ?? '';
  if (!result.tradingDay) return headline;
  // Results of runs before the bounded-result patch list all four kinds and carry no counts.
  const notified = result.signals.filter((s) => s.signal === 'BUY' || s.signal === 'SELL');
  const lines = [
    headline,
    ...notified.map(
      (s) =>
        `  ${s.signal === 'BUY' ? color.green('BUY ') : color.red('SELL')} ${s.ticker.padEnd(6)} ${s.strategy}${s.date !== result.date ? ` (${s.date})` : ''}`,
    ),
  ];
  const stale = result.stale ?? [];
  if (stale.length > 0) {
    lines.push(
      color.yellow(
        `stale: ${stale.length} of ${result.tickers.length} tickers have no bar for ${result.date}, nothing evaluated on it: ${describeStale(stale)}`,
      ),
    );
  }
  const failed = result.tickers.filter((t) => t.error);
  for (const t of failed) lines.push(color.yellow(`  ${t.ticker}: ${t.error}`));
  const n = result.notifications;
  lines.push(`emails: ${n.sent} sent, ${n.skipped} already sent before, ${n.failed} refused`);
  return lines.join('\n');
}

export function registerDailyCommands(program: Command): void {
  program
    .command('run-daily')
    .description('run the daily job for a date: ingest, strategies, signals, emails')
    .option('--date <date>', 'trading day, YYYY-MM-DD (default: today in New York)')
    .option('--tickers <list>', 'comma-separated tickers (default: configured + subscribed)')
    .option('--provider <name>', 'csv or yahoo (default: config)')
    .option('--dir <dir>', 'directory of CSV files (csv provider)')
    .action(async (opts: DailyOptions, cmd: Command) => {
      await withContext(cmd, async (ctx) => {
        const result = await runDaily(ctx, dailyRunRequest(ctx, opts));
        const { runId, date, tradingDay, counts, newSignals, alreadyRecordedBy, signals, stale, notifications } =
          result;
        const summary = {
          runId,
          date,
          tradingDay,
          counts,
          newSignals,
          alreadyRecordedBy,
          signals,
          stale,
          notifications,
        };
        ctx.out.result(summary, () => renderDailyRun(result));
      });
    });

  const state = program.command('state').description('strategy state kept in Redis (rebuildable from Postgres)');
  state
    .command('rebuild')
    .description('recompute every strategy state from the prices and signals in Postgres')
    .action(async (_opts: unknown, cmd: Command) => {
      await withContext(cmd, async (ctx) => {
        const result = await ctx.services.dailyRuns.rebuildStates();
        ctx.out.result(
          result,
          () =>
            `cleared ${result.cleared} states, rebuilt ${result.rebuilt} from Postgres for ${result.tickers} tickers`,
        );
      });
    });
}
