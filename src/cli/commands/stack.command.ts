import type { Command } from 'commander';
import { withContext } from '../context';
import { color } from '../output';
import { stackDown, stackStatus, stackUp, type StackPart } from '../../stack/stack';
import { stackDataFreshness, type DataFreshness } from '../../stack/data-freshness';
import { describeStale } from './daily.command';

/** The tracked tickers' data: all current, or which are stale since when; then any quarantined re-adjustment. */
export function renderFreshness(data: DataFreshness | { error: string }): string {
  if ('error' in data) return color.dim(`data: cannot tell which tickers are stale (${data.error})`);
  const freshness =
    data.stale.length === 0
      ? `data: all ${data.tracked} tracked tickers have their bar for ${data.expected}`
      : color.yellow(
          `data: ${data.stale.length} of ${data.tracked} tracked tickers are stale (no bar for ${data.expected}): ${describeStale(data.stale)}`,
        );
  const quarantined = data.quarantined.map((q) =>
    color.yellow(
      `quarantined: re-adjustment ${q.id} of ${q.ticker} (${q.date}): ${q.reason}; apply it with algo readjust approve ${q.id}`,
    ),
  );
  return [freshness, ...quarantined].join('\n');
}

function renderParts(parts: readonly (StackPart & { action?: string })[]): string {
  const width = Math.max(...parts.map((p) => p.name.length));
  return parts
    .map((part) => {
      const status = part.status === 'up' ? color.green('up  ') : color.red('down');
      const pid = part.pid ? color.dim(` pid ${part.pid}`) : '';
      const action = part.action && part.action !== 'checked' ? color.dim(` (${part.action})`) : '';
      return `${part.name.padEnd(width)}  ${status}  ${part.address}${pid}${action}`;
    })
    .join('\n');
}

/** `algo stack up | down | status`: the local stack, in the background. */
export function registerStackCommands(program: Command): void {
  const stack = program
    .command('stack')
    .description(
      'the local stack: Temporal (dev server, or the server on Postgres in production mode) and UI, Postgres, Redis, worker, mail sink, API',
    );

  stack
    .command('up')
    .description('start everything in the background (idempotent) and say where each part is')
    .action(async (_opts: unknown, cmd: Command) =>
      withContext(cmd, async ({ config, out }) => {
        const result = await stackUp(config, { log: (line) => out.info(color.dim(line)) });
        out.result(result, () => {
          const ui = result.parts.find((p) => p.name === 'temporal-ui' && p.status === 'up');
          const footer = ui ? `\n\nTemporal UI: ${color.cyan(ui.address)}   stop with: npm run algo -- stack down` : '';
          return `${renderParts(result.parts)}${footer}`;
        });
      }),
    );

  stack
    .command('down')
    .description('stop what `stack up` started, and nothing else')
    .action(async (_opts: unknown, cmd: Command) =>
      withContext(cmd, async ({ config, out }) => {
        const result = await stackDown(config, { log: (line) => out.info(color.dim(line)) });
        out.result(result, () =>
          result.parts
            .map(
              (p) =>
                `${p.name.padEnd(10)}  ${p.action === 'not-running' ? color.dim('not running') : color.yellow(p.action)}${p.pid ? color.dim(` pid ${p.pid}`) : ''}`,
            )
            .join('\n'),
        );
      }),
    );

  stack
    .command('status')
    .description('each part of the stack, up or down, with its address')
    .action(async (_opts: unknown, cmd: Command) =>
      withContext(cmd, async ({ config, out }) => {
        const status = await stackStatus(config);
        // Stale tickers are told as soon as Postgres answers: a run that ingested nothing must not look healthy.
        const postgresUp = status.parts.some((p) => p.name === 'postgres' && p.status === 'up');
        const data = postgresUp ? await stackDataFreshness(config) : undefined;
        const result = { ...status, ...(data ? { data } : {}) };
        out.result(result, () => [renderParts(result.parts), ...(data ? [renderFreshness(data)] : [])].join('\n'));
      }),
    );
}
