import type { Command } from 'commander';
import { BadInputError } from '../../domain/errors';
import type { TrackedTicker } from '../../services/tickers.service';
import type { ReportedSignalRequest } from '../../services/notifications.service';
import { withContext, type CliContext } from '../context';
import { color } from '../output';
import { isoDateOption, tickerOption } from '../options';

const tracked = (ctx: CliContext) => ctx.services.tickers.list();

function renderTickers(tickers: readonly TrackedTicker[]): string {
  return [
    ...tickers.map(
      (t) =>
        `${t.ticker.padEnd(8)} ${(t.configured ? 'configured' : 'added/subscribed').padEnd(17)} ` +
        `${String(t.subscribers).padStart(4)} subscribers, ${t.pendingSubscribers} pending, last bar ${t.lastDate ?? '-'}`,
    ),
    `${tickers.length} tracked tickers`,
  ].join('\n');
}

const tickerArguments = (args: readonly string[]) => args.map((a) => tickerOption('TICKER', a));

/** `algo tickers list|add|remove` and `algo notify`: the CLI side of GET/POST /tickers and POST /notification/{ticker}/send. */
export function registerTickerCommands(program: Command): void {
  const tickers = program
    .command('tickers')
    .description('the tickers the daily run tracks (configured, added, subscribed)');

  tickers
    .command('list', { isDefault: true })
    .description('tracked tickers with subscriber counts and their last stored bar')
    .action(async (_opts: unknown, cmd: Command) => {
      await withContext(cmd, async (ctx) => {
        const list = await tracked(ctx);
        ctx.out.result(list, () => renderTickers(list));
      });
    });

  tickers
    .command('add <tickers...>')
    .description('start tracking tickers: the next daily run ingests their history and evaluates them')
    .action(async (args: string[], _opts: unknown, cmd: Command) => {
      await withContext(cmd, async (ctx) => {
        const results = await ctx.services.tickers.track(tickerArguments(args), 'cli');
        ctx.out.result(results, () =>
          results.map((r) => `${r.ticker}: ${r.created ? 'now tracked' : 'already tracked'}`).join('\n'),
        );
      });
    });

  tickers
    .command('remove <tickers...>')
    .description(
      'stop tracking added tickers (configured and subscribed tickers stay tracked; stored prices and signals are kept)',
    )
    .action(async (args: string[], _opts: unknown, cmd: Command) => {
      await withContext(cmd, async (ctx) => {
        const results = await ctx.services.tickers.untrack(tickerArguments(args));
        ctx.out.result(results, () =>
          results
            .map(
              (r) =>
                `${r.ticker}: ${r.removed ? 'removed' : 'was not added'}${r.reason ? color.yellow(`; still tracked: ${r.reason}`) : ''}`,
            )
            .join('\n'),
        );
      });
    });

  program
    .command('notify <ticker>')
    .description(
      'email every confirmed subscriber of a ticker its BUY/SELL signals of a date, once (like POST /notification/{ticker}/send)',
    )
    .option('--date <date>', "the signals of this date, YYYY-MM-DD (default: the ticker's latest BUY/SELL date)")
    .option(
      '--signal <signal>',
      "the old clients' way: the signal to send (BUY or SELL), checked against our rules; needs --strategy and --date",
    )
    .option('--strategy <name>', 'with --signal: the strategy, old name (SMACross) or ours (sma_cross)')
    .action(async (tickerArg: string, opts: { date?: string; signal?: string; strategy?: string }, cmd: Command) => {
      await withContext(cmd, async (ctx) => {
        const ticker = tickerOption('TICKER', tickerArg);
        const date = isoDateOption('--date', opts.date);
        let reported: ReportedSignalRequest | undefined;
        if (opts.signal !== undefined || opts.strategy !== undefined) {
          const signal = opts.signal?.toUpperCase();
          if (signal !== 'BUY' && signal !== 'SELL')
            throw new BadInputError('--signal: BUY or SELL (with --strategy and --date)');
          if (!opts.strategy || !date) throw new BadInputError('--signal needs --strategy and --date');
          // Sent only if our rules give it: the CLI is ours, not an old strategy service reporting its word.
          reported = { signal, strategy: opts.strategy, date, check: true };
        }
        const result = await ctx.services.notifications.send({ ticker, date, reported }, (started) =>
          ctx.out.info(`notification ${started.workflowId} started`),
        );
        ctx.out.result(result, () =>
          result.date
            ? `${ticker} ${result.date}: ${result.notifications.sent} sent, ${result.notifications.skipped} already sent, ${result.notifications.failed} refused`
            : `${ticker}: no BUY or SELL signal recorded yet; nothing sent`,
        );
      });
    });
}
