import type { Command } from 'commander';
import { BadInputError } from '../../domain/errors';
import { emailProblem } from '../../domain/subscriptions';
import { withContext } from '../context';
import { tickerListOption, tickerOption, todayInNewYork } from '../options';

/** A comma-separated strategy list, de-duplicated (names are checked against the registry by the service). */
function strategyListOption(option: string, value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const names = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (names.length === 0) throw new BadInputError(`${option}: give at least one strategy`);
  return [...new Set(names)];
}

/** The EMAIL argument, checked by the one email rule (the service normalises it). */
function emailArgument(value: string): string {
  const problem = emailProblem(value);
  if (problem) throw new BadInputError(`EMAIL: ${problem}: ${JSON.stringify(value.slice(0, 80))}`);
  return value;
}

const describePairs = (pairs: ReadonlyArray<{ ticker: string; strategy: string }>) =>
  pairs.length ? pairs.map((p) => `${p.ticker} (${p.strategy})`).join(', ') : 'nothing';

/** `algo subscribe`, `algo unsubscribe`, `algo subscribers`: the CLI side of the subscriptions service. */
export function registerSubscriptionCommands(program: Command): void {
  program
    .command('subscribe <email>')
    .description('subscribe an address to tickers (a confirmation email is sent unless --confirm)')
    .requiredOption('--tickers <list>', 'comma-separated tickers, e.g. AAPL,MSFT (untracked ones start being tracked)')
    .option(
      '--strategies <list>',
      'comma-separated strategies (default: those each ticker runs by config; "recommended" is allowed)',
    )
    .option('--confirm', 'admin path: confirmed at once, no opt-in email', false)
    .action(
      async (emailArg: string, opts: { tickers: string; strategies?: string; confirm: boolean }, cmd: Command) => {
        await withContext(cmd, async (ctx) => {
          // A rule saved over the API is a strategy name like any other.
          await ctx.services.strategies.refreshSaved();
          const email = emailArgument(emailArg);
          const tickers = tickerListOption('--tickers', opts.tickers)!;
          const strategies = strategyListOption('--strategies', opts.strategies);
          const today = todayInNewYork();
          const result = await ctx.services.subscriptions.subscribe({
            email,
            tickers,
            strategies,
            confirmed: opts.confirm,
            today,
          });
          if (result.confirmation === 'deferred') {
            const { host, port } = ctx.config.mail;
            ctx.out.warn(
              `the mail server at ${host}:${port} did not take the confirmation email; run the command again to retry`,
            );
          }
          ctx.out.result(result, () =>
            [
              `${result.email}: ${result.status}`,
              `  subscribed to ${describePairs(result.subscriptions)}`,
              `  new: ${describePairs(result.added)}`,
              `  confirmation email: ${result.confirmation.replace('_', ' ')}`,
              ...result.notes.map((n) => `  ${n}`),
            ].join('\n'),
          );
        });
      },
    );

  program
    .command('unsubscribe <email>')
    .description("remove an address's subscriptions (all of them, or those to --tickers)")
    .option('--tickers <list>', 'comma-separated tickers to unsubscribe from (default: all)')
    .action(async (emailArg: string, opts: { tickers?: string }, cmd: Command) => {
      await withContext(cmd, async (ctx) => {
        const email = emailArgument(emailArg);
        const tickers = tickerListOption('--tickers', opts.tickers);
        const result = await ctx.services.subscriptions.unsubscribe({ email, tickers });
        ctx.out.result(
          result,
          () => `${result.email}: ${result.removed} subscription(s) removed, now ${result.status}`,
        );
      });
    });

  program
    .command('subscribers')
    .description('subscribers and their subscriptions')
    .option('--ticker <ticker>', 'only the subscribers of this ticker (and only their subscriptions to it)')
    .action(async (opts: { ticker?: string }, cmd: Command) => {
      await withContext(cmd, async (ctx) => {
        const ticker = opts.ticker === undefined ? undefined : tickerOption('--ticker', opts.ticker);
        const list = await ctx.services.subscriptions.list({ ticker });
        ctx.out.result(list, () =>
          [
            ...list.map((s) => `${s.email.padEnd(32)} ${s.status.padEnd(12)} ${describePairs(s.subscriptions)}`),
            `${list.length} subscriber(s)${ticker ? ` of ${ticker}` : ''}`,
          ].join('\n'),
        );
      });
    });
}
