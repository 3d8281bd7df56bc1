import type { Command } from 'commander';
import { parseParamList } from '../../domain/research/label-plan';
import type { TickerCheck } from '../../services/strategies.service';
import { withContext } from '../context';
import { EXIT_SOME_TICKERS_FAILED } from '../exit-codes';
import { positiveIntOption, tickerListOption } from '../options';

function line(t: TickerCheck): string {
  if (t.status === 'skipped') return `${t.ticker.padEnd(6)} skipped: ${t.reason}`;
  const r = t.report;
  const d = r.firstDifference;
  const lookAhead = d
    ? `LOOK-AHEAD on ${r.differingDays} days, first ${d.date}: ${d.what}${d.key ? ` ${d.key}` : ''} ` +
      `${JSON.stringify(d.whole)} with the whole series, ${JSON.stringify(d.truncated)} with the bars up to it`
    : `no look-ahead on ${r.daysChecked} days`;
  const w = r.warmUp;
  const needed = w.converges ? `${w.needed} warm-up bars` : 'never exact (recursive)';
  return `${t.ticker.padEnd(6)} ${t.status.padEnd(6)} ${lookAhead}; needs ${needed}, declares ${w.declared}`;
}

export function registerStrategyCommands(program: Command): void {
  const strategy = program.command('strategy').description('strategies: checks');
  strategy
    .command('check <name>')
    .description('prove on stored bars that a strategy never looks ahead and declares enough lookback')
    .option('--tickers <list>', 'comma-separated tickers (default: the configured ones)')
    .option('--params <list>', 'parameters, e.g. fast=10,slow=30')
    .option('--bars <n>', 'the last N stored bars of each ticker (default 500; the check is quadratic)')
    .action(async (name: string, opts: { tickers?: string; params?: string; bars?: string }, cmd: Command) => {
      await withContext(cmd, async (ctx) => {
        await ctx.services.strategies.refreshSavedFor([name]);
        const result = await ctx.services.strategies.check({
          strategy: name,
          params: parseParamList(opts.params),
          tickers: tickerListOption('--tickers', opts.tickers),
          bars: positiveIntOption('--bars', opts.bars),
        });
        ctx.out.result(result, () =>
          [...result.tickers.map(line), `${result.strategy} v${result.version}: ${result.ok ? 'OK' : 'FAILED'}`].join(
            '\n',
          ),
        );
        if (!result.ok) process.exitCode = EXIT_SOME_TICKERS_FAILED;
      });
    });
}
