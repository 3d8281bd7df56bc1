import type { Command } from 'commander';
import { dailyRunWorkflow, type DailyRunInput, type DailyRunResult } from '../../workflows/daily-run.workflow';
import { openDatabase, openRedis } from '../../composition';
import { PostgresPriceRepository } from '../../adapters/postgres/postgres-price.repository';
import { PostgresSignalRepository } from '../../adapters/postgres/postgres-signal.repository';
import { PostgresTrackingRepository } from '../../adapters/postgres/postgres-tracking.repository';
import { RedisStrategyStateStore } from '../../adapters/redis/redis-strategy-state.store';
import { rebuildStrategyStates } from '../../activities/signals.activities';
import { withContext, type CliContext } from '../context';
import { color } from '../output';
import { isoDateOption, marketDataOptions, tickerListOption, todayInNewYork } from '../options';

interface DailyOptions {
  date?: string;
  tickers?: string;
  provider?: string;
  dir?: string;
}

/** The workflow input from options (they override config for this run). */
export function dailyRunInput(ctx: CliContext, opts: DailyOptions): DailyRunInput {
  const { provider, providers, csvDir } = marketDataOptions(ctx.config.marketData, opts);
  return {
    date: isoDateOption('--date', opts.date) ?? todayInNewYork(),
    tickers: tickerListOption('--tickers', opts.tickers),
    provider,
    ...(providers ? { providers } : {}),
    csvDir,
    batchSize: ctx.config.ingestion.batchSize,
    emailBatchSize: ctx.config.mail.batchSize,
  };
}

/** Run the daily workflow for one date and wait for it. One run per date at a time (the workflow id is the date). */
export async function runDaily(ctx: CliContext, input: DailyRunInput): Promise<DailyRunResult> {
  const client = await ctx.temporal();
  const workflowId = `daily-${input.date}`;
  ctx.out.info(`daily run ${workflowId} started; watch it at ${temporalUiUrl(ctx, workflowId)}`);
  return client.workflow.execute(dailyRunWorkflow, { taskQueue: ctx.config.temporal.taskQueue, workflowId, args: [input] });
}

/** Link to a workflow in the local Temporal Web UI. */
export function temporalUiUrl(ctx: CliContext, workflowId?: string): string {
  const host = ctx.config.temporal.address.split(':')[0];
  const base = `http://${host}:${ctx.config.temporal.devServer.uiPort}/namespaces/${ctx.config.temporal.namespace}/workflows`;
  return workflowId ? `${base}/${encodeURIComponent(workflowId)}` : base;
}

/** `AAPL since 2018-02-07, MSFT (no data at all)`, grouped by last bar date, at most `max` names. */
export function describeStale(stale: ReadonlyArray<{ ticker: string; lastDate: string | null }>, max = 20): string {
  const byDate = new Map<string, string[]>();
  for (const s of stale) {
    const key = s.lastDate ?? '';
    byDate.set(key, [...(byDate.get(key) ?? []), s.ticker]);
  }
  const groups = [...byDate].sort(([a], [b]) => (a < b ? 1 : -1)).map(([date, tickers]) => {
    const names = tickers.length > max ? `${tickers.slice(0, max).join(', ')} and ${tickers.length - max} more` : tickers.join(', ');
    return date ? `${names} since ${date}` : `${names} (no data at all)`;
  });
  return groups.join('; ');
}

export function renderDailyRun(result: DailyRunResult): string {
  if (!result.tradingDay) return `${result.date} is not a trading day (${result.closure}): nothing to do.`;
  // Results of runs before the bounded-result patch list all four kinds and carry no counts.
  const notified = result.signals.filter((s) => s.signal === 'BUY' || s.signal === 'SELL');
  const c = result.counts;
  const recorded = c ? c.BUY + c.SELL + c.HOLD + c.WAIT : result.signals.length;
  const kinds = c ? ` (${c.BUY} BUY, ${c.SELL} SELL, ${c.HOLD} HOLD, ${c.WAIT} WAIT)` : `, ${notified.length} BUY/SELL`;
  const lines = [
    `${result.date}: ${recorded} signals recorded${kinds} for ${result.tickers.length} tickers`,
    ...notified.map((s) => `  ${s.signal === 'BUY' ? color.green('BUY ') : color.red('SELL')} ${s.ticker.padEnd(6)} ${s.strategy}${s.date !== result.date ? ` (${s.date})` : ''}`),
  ];
  const stale = result.stale ?? [];
  if (stale.length > 0) {
    lines.push(color.yellow(`stale: ${stale.length} of ${result.tickers.length} tickers have no bar for ${result.date}, nothing evaluated on it: ${describeStale(stale)}`));
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
        const result = await runDaily(ctx, dailyRunInput(ctx, opts));
        const { runId, date, tradingDay, counts, signals, stale, notifications } = result;
        ctx.out.result({ runId, date, tradingDay, counts, signals, stale, notifications }, () => renderDailyRun(result));
      });
    });

  const state = program.command('state').description('strategy state kept in Redis (rebuildable from Postgres)');
  state
    .command('rebuild')
    .description('recompute every strategy state from the prices and signals in Postgres')
    .action(async (_opts: unknown, cmd: Command) => {
      await withContext(cmd, async (ctx) => {
        const db = openDatabase(ctx.config, { max: 4 });
        const redis = openRedis(ctx.config);
        try {
          const tracking = new PostgresTrackingRepository(db, ctx.config);
          const deps = {
            prices: new PostgresPriceRepository(db),
            signals: new PostgresSignalRepository(db),
            states: new RedisStrategyStateStore(redis, ctx.config.redis.keyPrefix),
            trackedTickers: () => tracking.trackedTickers(),
            strategyPlans: (t: readonly string[]) => tracking.strategyPlans(t),
          };
          const tickers = await deps.trackedTickers();
          const result = await rebuildStrategyStates(deps, tickers);
          ctx.out.result({ tickers: tickers.length, ...result }, () => `cleared ${result.cleared} states, rebuilt ${result.rebuilt} from Postgres for ${tickers.length} tickers`);
        } finally {
          redis.disconnect();
          await db.destroy();
        }
      });
    });
}
