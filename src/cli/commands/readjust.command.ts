import type { Command } from 'commander';
import { BadInputError } from '../../domain/errors';
import type { PriceReadjustment } from '../../domain/readjustment';
import { withContext } from '../context';
import { color } from '../output';
import { positiveIntOption, tickerOption } from '../options';

const STATUSES: ReadonlyArray<PriceReadjustment['status']> = ['applied', 'quarantined', 'approved', 'undone'];

function renderReadjustment(r: PriceReadjustment): string {
  const status = r.status === 'quarantined' ? color.yellow(r.status) : r.status;
  const why = r.quarantineReason ? `\n    quarantined: ${r.quarantineReason}` : '';
  return `${String(r.id).padStart(5)} ${r.ticker.padEnd(8)} ${r.date} ${r.reason.padEnd(24)} ${status.padEnd(11)} ${r.rowsChanged} rows  ${r.detail ?? ''}${why}`;
}

const readjustmentId = (value: string): number => positiveIntOption('ID', value)!;

/** `algo readjust list|approve|undo`: the re-adjustments of stored histories (table price_readjustments). */
export function registerReadjustCommands(program: Command): void {
  const readjust = program
    .command('readjust')
    .description('re-adjustments of stored price histories: list them, approve a quarantined one, undo an applied one');

  readjust
    .command('list', { isDefault: true })
    .description('recorded re-adjustments, oldest first (quarantined ones with why)')
    .option('--ticker <ticker>', 'of one ticker')
    .option('--status <status>', `of one status: ${STATUSES.join(', ')}`)
    .action(async (opts: { ticker?: string; status?: string }, cmd: Command) => {
      await withContext(cmd, async (ctx) => {
        if (opts.status !== undefined && !STATUSES.includes(opts.status as PriceReadjustment['status']))
          throw new BadInputError(`--status must be one of ${STATUSES.join(', ')}, got '${opts.status}'`);
        const list = await ctx.services.readjustments.list({
          ...(opts.ticker ? { ticker: tickerOption('--ticker', opts.ticker) } : {}),
          ...(opts.status ? { status: opts.status as PriceReadjustment['status'] } : {}),
        });
        ctx.out.result(list, () => [...list.map(renderReadjustment), `${list.length} re-adjustments`].join('\n'));
      });
    });

  readjust
    .command('approve <id>')
    .description('apply a quarantined re-adjustment as it was found (the values it replaces are kept)')
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      await withContext(cmd, async (ctx) => {
        const result = await ctx.services.readjustments.approve(readjustmentId(id));
        ctx.out.result(
          result,
          () =>
            `re-adjustment ${id} approved: applied as ${result.id} (${result.rowsChanged} rows changed, ${result.statesRebuilt} strategy states rebuilt)`,
        );
      });
    });

  readjust
    .command('undo <id>')
    .description("put back the bars an applied re-adjustment replaced (the ticker's latest, with no bar stored since)")
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      await withContext(cmd, async (ctx) => {
        const result = await ctx.services.readjustments.undo(readjustmentId(id));
        ctx.out.result(
          result,
          () =>
            `re-adjustment ${id} of ${result.readjustment.ticker} undone (${result.statesRebuilt} strategy states rebuilt)`,
        );
      });
    });
}
