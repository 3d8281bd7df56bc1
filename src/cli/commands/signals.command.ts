import type { Command } from 'commander';
import type { SignalRecord } from '../../domain/ports';
import { withContext } from '../context';
import { isoDateOption, tickerOption } from '../options';

/** A signal as `algo signals --json` prints it: the fixed fields, then the numbers behind it (close first). */
export type SignalRow = {
  date: string;
  ticker: string;
  strategy: string;
  strategyVersion: number;
  signal: SignalRecord['signal'];
  close: number | null;
} & Record<string, number | string | null>;

/** Flatten a record; an input named like a fixed field never overwrites it. */
export function signalRow(s: SignalRecord): SignalRow {
  const row: SignalRow = {
    date: s.date,
    ticker: s.ticker,
    strategy: s.strategy,
    strategyVersion: s.strategyVersion,
    signal: s.signal,
    close: s.close,
  };
  for (const [key, value] of Object.entries(s.inputs)) if (!(key in row)) row[key] = value;
  return row;
}

const fmt = (v: unknown) => (typeof v === 'number' ? (Math.abs(v) >= 1 ? v.toFixed(2) : v.toPrecision(4)) : String(v));

/** `algo signals`. */
export function registerSignalCommands(program: Command): void {
  program
    .command('signals')
    .description('recorded signals with the numbers behind them, ascending by date')
    .option('--date <date>', 'only this date, YYYY-MM-DD')
    .option('--from <date>', 'first date, YYYY-MM-DD')
    .option('--to <date>', 'last date, YYYY-MM-DD')
    .option('--ticker <ticker>', 'only this ticker')
    .option('--strategy <name>', 'only this strategy')
    .action(
      async (opts: { date?: string; from?: string; to?: string; ticker?: string; strategy?: string }, cmd: Command) => {
        await withContext(cmd, async (ctx) => {
          const date = isoDateOption('--date', opts.date);
          const from = isoDateOption('--from', opts.from);
          const to = isoDateOption('--to', opts.to);
          const ticker = opts.ticker === undefined ? undefined : tickerOption('--ticker', opts.ticker);
          const rows = (await ctx.services.signals.list({ date, from, to, ticker, strategy: opts.strategy })).items.map(
            signalRow,
          );
          ctx.out.result(rows, () =>
            [
              ...rows.map((r) => {
                const numbers = Object.entries(r)
                  .filter(([k]) => !['date', 'ticker', 'strategy', 'strategyVersion', 'signal'].includes(k))
                  .map(([k, v]) => `${k} ${fmt(v)}`)
                  .join(', ');
                return `${r.date}  ${r.ticker.padEnd(6)} ${`${r.strategy} v${r.strategyVersion}`.padEnd(24)} ${r.signal.padEnd(5)} ${numbers}`;
              }),
              `${rows.length} signal(s)`,
            ].join('\n'),
          );
        });
      },
    );
}
