import { ScheduleNotFoundError, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import type { Command } from 'commander';
import type { AppConfig } from '../../config/config';
import { closureReason } from '../../domain/calendar';
import { isoDateInZone } from '../../domain/dates';
import { dailyRunWorkflow, type DailyRunInput } from '../../workflows/daily-run.workflow';
import { withContext } from '../context';

/** The one schedule of the daily job. */
export const DAILY_SCHEDULE_ID = 'daily-run';

const ZONE = 'America/New_York';

/** `Tue 2026-12-01 18:30 America/New_York (23:30 UTC)`, and why the run will do nothing on a closed day. */
export function describeScheduledRun(at: Date): string {
  const local = new Intl.DateTimeFormat('en-US', { timeZone: ZONE, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(at);
  const part = (type: string) => local.find((p) => p.type === type)?.value ?? '';
  const day = isoDateInZone(at.getTime(), ZONE);
  const closed = closureReason(day);
  const line = `${part('weekday')} ${day} ${part('hour')}:${part('minute')} ${ZONE} (${at.toISOString().slice(11, 16)} UTC)`;
  return closed ? `${line}: market closed (${closed}), the run will do nothing` : line;
}

/**
 * Create (or replace) the daily schedule: weekdays after the close in New
 * York. The workflow itself skips exchange holidays, so the calendar lives in
 * one place (src/domain/calendar) instead of in cron exceptions.
 */
export async function createDailySchedule(client: Client, config: AppConfig, at = { hour: 18, minute: 30 }): Promise<void> {
  try {
    await client.schedule.getHandle(DAILY_SCHEDULE_ID).delete();
  } catch (err) {
    if (!(err instanceof ScheduleNotFoundError)) throw err;
  }
  const input: DailyRunInput = {};
  await client.schedule.create({
    scheduleId: DAILY_SCHEDULE_ID,
    spec: {
      calendars: [{ dayOfWeek: ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY'], hour: at.hour, minute: at.minute }],
      timezone: ZONE,
    },
    action: { type: 'startWorkflow', workflowType: dailyRunWorkflow, workflowId: 'daily-scheduled', taskQueue: config.temporal.taskQueue, args: [input] },
    // Never two runs at once; a run missed while the server was down is caught up within a day.
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 day' },
  });
}

export function registerScheduleCommands(program: Command): void {
  const schedule = program.command('schedule').description('the Temporal Schedule of the daily job (weekdays 18:30 America/New_York)');
  const handle = async (client: Client) => client.schedule.getHandle(DAILY_SCHEDULE_ID);

  schedule
    .command('create')
    .description('create or replace the daily schedule')
    .option('--at <HH:MM>', 'time of day in New York', '18:30')
    .action(async (opts: { at: string }, cmd: Command) => {
      await withContext(cmd, async (ctx) => {
        const m = /^(\d{1,2}):(\d{2})$/.exec(opts.at);
        if (!m || Number(m[1]) > 23 || Number(m[2]) > 59) throw new Error(`--at: "${opts.at}" is not a time HH:MM`);
        await createDailySchedule(await ctx.temporal(), ctx.config, { hour: Number(m[1]), minute: Number(m[2]) });
        ctx.out.result({ scheduleId: DAILY_SCHEDULE_ID, created: true }, () => `schedule ${DAILY_SCHEDULE_ID} created: weekdays ${opts.at} America/New_York`);
      });
    });

  schedule
    .command('describe')
    .description('show the schedule, its state and next runs')
    .action(async (_o: unknown, cmd: Command) => {
      await withContext(cmd, async (ctx) => {
        const d = await (await handle(await ctx.temporal())).describe();
        const summary = {
          scheduleId: d.scheduleId,
          paused: d.state.paused,
          note: d.state.note ?? null,
          nextRuns: d.info.nextActionTimes.map((t) => t.toISOString()),
          recentRuns: d.info.recentActions.map((a) => ({ scheduledAt: a.scheduledAt.toISOString(), workflowId: a.action.workflow.workflowId })),
        };
        ctx.out.result(summary, () =>
          [
            `${summary.scheduleId}: ${summary.paused ? 'paused' : 'active'}`,
            'next runs:',
            ...d.info.nextActionTimes.map((t) => `  ${describeScheduledRun(t)}`),
            ...(summary.recentRuns.length ? ['recent runs:', ...summary.recentRuns.map((r) => `  ${r.scheduledAt}  ${r.workflowId}`)] : []),
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
          const h = await handle(await ctx.temporal());
          if (name === 'pause') await h.pause('paused from the CLI');
          else if (name === 'unpause') await h.unpause('resumed from the CLI');
          else if (name === 'trigger') await h.trigger(ScheduleOverlapPolicy.SKIP);
          else await h.delete();
          ctx.out.result({ scheduleId: DAILY_SCHEDULE_ID, action: name }, () => `schedule ${DAILY_SCHEDULE_ID}: ${name} done`);
        });
      });
  }
}
