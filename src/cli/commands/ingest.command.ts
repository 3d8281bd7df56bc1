import crypto from 'node:crypto';
import { SingleBar, Presets } from 'cli-progress';
import type { Command } from 'commander';
import { ingestPricesWorkflow, ingestProgressQuery, type IngestPricesInput, type IngestPricesResult } from '../../workflows/ingest-prices.workflow';
import { withContext, type CliContext } from '../context';
import { color } from '../output';
import { isoDateOption, marketDataOptions, positiveIntOption, tickerListOption, todayInNewYork } from '../options';

/** Exit code when the run completed but some tickers failed. */
export const EXIT_SOME_TICKERS_FAILED = 2;

interface IngestOptions {
  provider?: string;
  dir?: string;
  tickers?: string;
  asOf?: string;
  batchSize?: string;
}

/** Build the workflow input from options and config; validates every option. */
export function ingestInput(ctx: CliContext, opts: IngestOptions): IngestPricesInput {
  const { provider, providers, csvDir } = marketDataOptions(ctx.config.marketData, opts);
  // Only the csv provider can list its tickers.
  const tickers = tickerListOption('--tickers', opts.tickers) ?? (provider !== 'csv' ? ctx.config.tickers : undefined);
  return {
    provider,
    ...(providers ? { providers } : {}),
    csvDir,
    tickers,
    asOf: isoDateOption('--as-of', opts.asOf) ?? todayInNewYork(),
    batchSize: positiveIntOption('--batch-size', opts.batchSize) ?? ctx.config.ingestion.batchSize,
    maxConcurrentBatches: ctx.config.ingestion.maxConcurrentBatches,
  };
}

/** Start the ingestion workflow, show progress while it runs, and return its result. */
export async function runIngestion(ctx: CliContext, input: IngestPricesInput): Promise<IngestPricesResult> {
  const client = await ctx.temporal();
  const handle = await client.workflow.start(ingestPricesWorkflow, {
    taskQueue: ctx.config.temporal.taskQueue,
    workflowId: `ingest-${input.asOf}-${crypto.randomUUID().slice(0, 8)}`,
    args: [input],
  });
  ctx.out.info(`ingestion ${handle.workflowId} started (as of ${input.asOf}, provider ${(input.providers ?? [input.provider]).join(' > ')})`);
  const bar = process.stderr.isTTY ? new SingleBar({ format: 'ingest [{bar}] {value}/{total} tickers, {failed} failed', stream: process.stderr }, Presets.shades_classic) : undefined;
  let started = false;
  const poll = setInterval(() => {
    handle.query(ingestProgressQuery).then(
      (p) => {
        if (!bar) return;
        if (!started) bar.start(p.total, 0, { failed: 0 });
        started = true;
        bar.update(p.done, { failed: p.failed });
      },
      () => undefined, // not started yet or already closed: the next poll or the result tells
    );
  }, 500);
  try {
    return await handle.result();
  } finally {
    clearInterval(poll);
    bar?.stop();
  }
}

export function renderIngestion(result: IngestPricesResult): string {
  const lines = result.tickers.map((t) => {
    const status = t.status === 'ok' ? color.green('ok    ') : color.red('failed');
    const counts = `${t.inserted} inserted, ${t.updated} updated, ${t.unchanged} unchanged, ${t.rejectedCount} rejected`;
    const detail = t.status === 'failed' ? color.red(t.error ?? '') : color.dim(`last ${t.lastDate ?? '-'}`);
    const source = t.provider ? `${t.provider.padEnd(12)} ` : ''.padEnd(13);
    const skipped = t.failover?.length ? color.yellow(`  (failed over from ${t.failover.map((a) => a.provider).join(', ')})`) : '';
    return `${status} ${t.ticker.padEnd(6)} ${source}${counts}  ${detail}${skipped}`;
  });
  const failed = result.tickers.filter((t) => t.status === 'failed').length;
  lines.push(`${result.tickers.length} tickers, ${failed} failed; run ${result.runId}`);
  return lines.join('\n');
}

export function registerIngestCommands(program: Command): void {
  program
    .command('ingest')
    .description('ingest and enrich daily prices through the ingestion workflow')
    .option('--provider <names>', 'csv, yahoo or alphavantage, or a failover order such as yahoo,alphavantage (default: config)')
    .option('--dir <dir>', 'directory of CSV files (csv provider)')
    .option('--tickers <list>', 'comma-separated tickers (default: every file in --dir, or the configured list)')
    .option('--as-of <date>', 'ingest nothing after this date, YYYY-MM-DD (default: today in New York)')
    .option('--batch-size <n>', 'tickers per activity')
    .action(async (opts: IngestOptions, cmd: Command) => {
      await withContext(cmd, async (ctx) => {
        const result = await runIngestion(ctx, ingestInput(ctx, opts));
        ctx.out.result(
          { runId: result.runId, tickers: result.tickers.map(({ lastDate: _lastDate, rejectedCount: _count, ...t }) => t) },
          () => renderIngestion(result),
        );
        if (result.tickers.some((t) => t.status === 'failed')) process.exitCode = EXIT_SOME_TICKERS_FAILED;
      });
    });
}
