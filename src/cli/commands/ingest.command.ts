import { SingleBar, Presets } from 'cli-progress';
import type { Command } from 'commander';
import type { IngestRequest } from '../../services/market-data.service';
import type { IngestPricesResult } from '../../workflows/ingest-prices.workflow';
import { withContext, type CliContext } from '../context';
import { color } from '../output';
import { isoDateOption, marketDataOptions, positiveIntOption, tickerListOption } from '../options';
import { EXIT_SOME_TICKERS_FAILED } from '../exit-codes';

export { EXIT_SOME_TICKERS_FAILED };

interface IngestOptions {
  provider?: string;
  dir?: string;
  tickers?: string;
  asOf?: string;
  batchSize?: string;
}

/** The ingestion request of the options (each validated); the service fills in the rest. */
export function ingestRequest(ctx: CliContext, opts: IngestOptions): IngestRequest {
  const { provider, providers, csvDir } = marketDataOptions(ctx.config.marketData, opts);
  return {
    provider,
    ...(providers ? { providers } : {}),
    csvDir,
    tickers: tickerListOption('--tickers', opts.tickers),
    asOf: isoDateOption('--as-of', opts.asOf),
    batchSize: positiveIntOption('--batch-size', opts.batchSize),
  };
}

/** Run an ingestion through the service, with a progress bar on a terminal. */
export async function runIngestion(ctx: CliContext, request: IngestRequest): Promise<IngestPricesResult> {
  const bar = process.stderr.isTTY
    ? new SingleBar(
        { format: 'ingest [{bar}] {value}/{total} tickers, {failed} failed', stream: process.stderr },
        Presets.shades_classic,
      )
    : undefined;
  let barStarted = false;
  try {
    return await ctx.services.marketData.ingest(request, {
      started: (started, input) =>
        ctx.out.info(
          `ingestion ${started.workflowId} started (as of ${input.asOf}, provider ${(input.providers ?? [input.provider]).join(' > ')})`,
        ),
      progress: (p) => {
        if (!bar) return;
        if (!barStarted) bar.start(p.total, 0, { failed: 0 });
        barStarted = true;
        bar.update(p.done, { failed: p.failed });
      },
    });
  } finally {
    bar?.stop();
  }
}

export function renderIngestion(result: IngestPricesResult): string {
  const lines = result.tickers.map((t) => {
    const status = t.status === 'ok' ? color.green('ok    ') : color.red('failed');
    const counts = `${t.inserted} inserted, ${t.updated} updated, ${t.unchanged} unchanged, ${t.rejectedCount} rejected`;
    const detail = t.status === 'failed' ? color.red(t.error ?? '') : color.dim(`last ${t.lastDate ?? '-'}`);
    const source = t.provider ? `${t.provider.padEnd(12)} ` : ''.padEnd(13);
    const skipped = t.failover?.length
      ? color.yellow(`  (failed over from ${t.failover.map((a) => a.provider).join(', ')})`)
      : '';
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
    .option(
      '--provider <names>',
      'csv, yahoo or alphavantage, or a failover order such as yahoo,alphavantage (default: config)',
    )
    .option('--dir <dir>', 'directory of CSV files (csv provider)')
    .option('--tickers <list>', 'comma-separated tickers (default: every file in --dir, or the configured list)')
    .option('--as-of <date>', 'ingest nothing after this date, YYYY-MM-DD (default: today in New York)')
    .option('--batch-size <n>', 'tickers per activity')
    .action(async (opts: IngestOptions, cmd: Command) => {
      await withContext(cmd, async (ctx) => {
        const result = await runIngestion(ctx, ingestRequest(ctx, opts));
        ctx.out.result(
          {
            runId: result.runId,
            tickers: result.tickers.map(({ lastDate: _lastDate, rejectedCount: _count, ...t }) => t),
          },
          () => renderIngestion(result),
        );
        if (result.tickers.some((t) => t.status === 'failed')) process.exitCode = EXIT_SOME_TICKERS_FAILED;
      });
    });
}
