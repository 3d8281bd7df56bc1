import type { Command } from 'commander';
import { closureReason, tradingDays } from '../../domain/calendar';
import { addDays, dayOfWeek } from '../../domain/dates';
import { BadInputError } from '../../domain/errors';
import { withContext } from '../context';
import { isoDateOption, todayInNewYork } from '../options';
import { color } from '../output';

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

export function registerCalendarCommands(program: Command): void {
  program
    .command('calendar')
    .description('NYSE trading days in a date range (closures named)')
    .option('--from <date>', 'first date, YYYY-MM-DD (default: today in New York)')
    .option('--to <date>', 'last date, YYYY-MM-DD (default: 30 days after --from)')
    .action(async (opts: { from?: string; to?: string }, cmd: Command) => {
      await withContext(cmd, async (ctx) => {
        const from = isoDateOption('--from', opts.from) ?? todayInNewYork();
        const to = isoDateOption('--to', opts.to) ?? addDays(from, 30);
        if (to < from) throw new BadInputError(`--to: ${to} is before --from ${from}`);
        const days = tradingDays(from, to);
        ctx.out.result(days, () => {
          const lines: string[] = [];
          let closed = 0;
          for (let d = from; d <= to; d = addDays(d, 1)) {
            const reason = closureReason(d);
            if (reason === null) lines.push(`${d} ${WEEKDAYS[dayOfWeek(d)]}`);
            else if (reason !== 'Weekend') {
              closed++;
              lines.push(color.yellow(`${d} ${WEEKDAYS[dayOfWeek(d)]}  closed: ${reason}`));
            }
          }
          lines.push(
            `${days.length} trading day${days.length === 1 ? '' : 's'} from ${from} to ${to}, ${closed} weekday closure${closed === 1 ? '' : 's'}`,
          );
          return lines.join('\n');
        });
      });
    });
}
