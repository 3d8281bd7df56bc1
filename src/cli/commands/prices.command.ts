import type { Command } from 'commander';
import { withContext } from '../context';
import { isoDateOption, tickerOption } from '../options';

const fmt = (n: number | null, digits = 2) => (n === null ? '-' : n.toFixed(digits));

export function registerPricesCommands(program: Command): void {
  program
    .command('prices <ticker>')
    .description('stored daily bars with their indicators')
    .option('--from <date>', 'first date, YYYY-MM-DD')
    .option('--to <date>', 'last date, YYYY-MM-DD')
    .action(async (tickerArg: string, opts: { from?: string; to?: string }, cmd: Command) => {
      await withContext(cmd, async (ctx) => {
        const ticker = tickerOption('TICKER', tickerArg);
        const from = isoDateOption('--from', opts.from);
        const to = isoDateOption('--to', opts.to);
        const bars = await ctx.services.marketData.bars(ticker, { from, to });
        ctx.out.result(bars, () =>
          [
            'date        close      sma7     sma21     sma50    sma200      macd    signal',
            ...bars.map((b) =>
              [
                b.date,
                fmt(b.close),
                fmt(b.sma7),
                fmt(b.sma21),
                fmt(b.sma50),
                fmt(b.sma200),
                fmt(b.macd, 4),
                fmt(b.macdSignal, 4),
              ]
                .map((v, i) => (i === 0 ? v : v.padStart(9)))
                .join(' '),
            ),
            `${bars.length} bars of ${ticker}`,
          ].join('\n'),
        );
      });
    });
}
