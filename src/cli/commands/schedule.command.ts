import type { Command } from 'commander';
import { closureReason } from '../../domain/calendar';
import { isoDateInZone } from '../../domain/dates';
import { parseScheduleTime, SCHEDULE_ZONE as ZONE } from '../../services/daily-schedule.service';
import { DAILY_SCHEDULE_ID, PLAYGROUND_CLEANUP_SCHEDULE_ID, WATCHDOG_SCHEDULE_ID } from '../../workflows/workflow-ids';
import { withContext } from '../context';

/** `Tue 2026-12-01 18:30 America/New_York (23:30 UTC)`, and why the run will do nothing on a closed day. */
export function describeScheduledRun(at: Date): string {
  const local = new Intl.DateTimeFormat('en-US', {
    timeZone: ZONE,
    weekday: 'short',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(at);
  const part = (type: string) => local.find((p) => p.type === type)?.value ?? '';
  const day = isoDateInZone(at.getTime(), ZONE);
  const closed = closureReason(day);
  const line = `${part('weekday')} ${day} ${part('hour')}:${part('minute')} ${ZONE} (${at.toISOString().slice(11, 16)} UTC)`;
  return closed ? `${line}: market closed (${closed}), the run will do nothing` : line;
}

export function registerScheduleCommands(program: Command): void {
  const schedule = program
    .command('schedule')
    .description('the Temporal Schedule of the daily job (weekdays 18:30 America/New_York)');
  schedule
    .command('create')
    .description('create or replace the daily schedule')
    .option('--at <HH:MM>', 'time of day in New York', '18:30')
    .action(async (opts: { at: string }, cmd: Command) => {
      await withContext(cmd, async (ctx) => {
        await ctx.services.dailySchedule.create(parseScheduleTime(opts.at));
        ctx.out.result(
          { scheduleId: DAILY_SCHEDULE_ID, created: true },
          () =>
            `schedule ${DAILY_SCHEDULE_ID} created: weekdays ${opts.at} America/New_York ` +
            `(with ${WATCHDOG_SCHEDULE_ID} every 15 minutes and ${PLAYGROUND_CLEANUP_SCHEDULE_ID} every hour)`,
        );
      });
    });

  schedule
    .command('describe')
    .description('show the schedule, its state and next runs')
    .action(async (_o: unknown, cmd: Command) => {
      await withContext(cmd, async (ctx) => {
        const d = await ctx.services.dailySchedule.describe();
        const summary = {
          scheduleId: d.scheduleId,
          paused: d.paused,
          note: d.note,
          nextRuns: d.nextRuns.map((t) => t.toISOString()),
          recentRuns: d.recentRuns.map((r) => ({ scheduledAt: r.scheduledAt.toISOString(), workflowId: r.workflowId })),
        };
        ctx.out.result(summary, () =>
          [
            `${summary.scheduleId}: ${summary.paused ? 'paused' : 'active'}`,
            'next runs:',
            ...d.nextRuns.map((t) => `  ${describeScheduledRun(t)}`),
            ...(summary.recentRuns.length
              ? ['recent runs:', ...summary.recentRuns.map((r) => `  ${r.scheduledAt}  ${r.workflowId}`)]
              : []),
          ].join('\n'),
        );
      });
    });

  for (const [name, description] of [
    ['pause', 'pause the schedule'],
    ['unpause', 'resume the schedule'],
    ['trigger', 'start a run now (for today in New York)'],
    ['delete', 'delete the schedule'],
  ] as const) {
    schedule
      .command(name)
      .description(description)
      .action(async (_o: unknown, cmd: Command) => {
        await withContext(cmd, async (ctx) => {
          await ctx.services.dailySchedule.act(name);
          ctx.out.result(
            { scheduleId: DAILY_SCHEDULE_ID, action: name },
            () => `schedule ${DAILY_SCHEDULE_ID}: ${name} done`,
          );
        });
      });
  }
}
