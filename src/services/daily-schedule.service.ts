import { ScheduleNotFoundError, ScheduleOverlapPolicy } from '@temporalio/client';
import { BadInputError, NotFoundError } from '../domain/errors';
import { dailyRunWorkflow, type DailyRunInput } from '../workflows/daily-run.workflow';
import { dailyRunWatchdogWorkflow, type DailyRunWatchdogInput } from '../workflows/daily-run-watchdog.workflow';
import { playgroundCleanupWorkflow, type PlaygroundCleanupInput } from '../workflows/playground-cleanup.workflow';
import {
  DAILY_SCHEDULE_ID,
  PLAYGROUND_CLEANUP_SCHEDULE_ID,
  SCHEDULED_DAILY_RUN_ID_PREFIX,
  WATCHDOG_SCHEDULE_ID,
} from '../workflows/workflow-ids';
import type { TemporalGateway } from './temporal-gateway';

/** The time zone of the exchange, and of the schedule. */
export const SCHEDULE_ZONE = 'America/New_York';

/** Every schedule `algo schedule create` makes: the daily run, its watchdog, the playground cleanup. */
const CREATED_SCHEDULE_IDS = [DAILY_SCHEDULE_ID, WATCHDOG_SCHEDULE_ID, PLAYGROUND_CLEANUP_SCHEDULE_ID];

/** What `algo schedule describe` shows. */
export interface DailyScheduleSummary {
  scheduleId: string;
  paused: boolean;
  note: string | null;
  nextRuns: Date[];
  recentRuns: Array<{ scheduledAt: Date; workflowId: string }>;
}

/** The actions on the schedule besides create and describe. */
export type DailyScheduleAction = 'pause' | 'unpause' | 'trigger' | 'delete';

/** `HH:MM` as an hour and a minute. */
export function parseScheduleTime(value: string): { hour: number; minute: number } {
  const m = /^(\d{1,2}):(\d{2})$/.exec(value);
  if (!m || Number(m[1]) > 23 || Number(m[2]) > 59) throw new BadInputError(`--at: "${value}" is not a time HH:MM`);
  return { hour: Number(m[1]), minute: Number(m[2]) };
}

/**
 * The daily Temporal Schedule (`algo schedule ...`, `algo demo`): weekdays
 * after the close in New York. The workflow itself skips exchange holidays,
 * so the calendar lives in one place (src/domain/calendar) instead of in
 * cron exceptions. Its runs get their defaults as every daily run does.
 */
export class DailyScheduleService {
  constructor(private readonly deps: { temporal(): Promise<TemporalGateway>; taskQueue: string }) {}

  /** Create (or replace) the schedule, its watchdog's and the playground cleanup's. */
  async create(at = { hour: 18, minute: 30 }): Promise<void> {
    const { client } = await this.deps.temporal();
    for (const id of CREATED_SCHEDULE_IDS) {
      try {
        await client.schedule.getHandle(id).delete();
      } catch (err) {
        if (!(err instanceof ScheduleNotFoundError)) throw err;
      }
    }
    const input: DailyRunInput = {};
    await client.schedule.create({
      scheduleId: DAILY_SCHEDULE_ID,
      spec: {
        calendars: [
          { dayOfWeek: ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY'], hour: at.hour, minute: at.minute },
        ],
        timezone: SCHEDULE_ZONE,
      },
      action: {
        type: 'startWorkflow',
        workflowType: dailyRunWorkflow,
        workflowId: SCHEDULED_DAILY_RUN_ID_PREFIX,
        taskQueue: this.deps.taskQueue,
        args: [input],
      },
      // Never two runs at once; a run missed while the server was down is caught up within a day.
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 day' },
    });
    const watchdogInput: DailyRunWatchdogInput = {};
    await client.schedule.create({
      scheduleId: WATCHDOG_SCHEDULE_ID,
      // Every 15 minutes, every day: a failure is told within 15 minutes, a late run just after the deadline;
      // the check itself skips days the exchange is closed.
      spec: { intervals: [{ every: '15 minutes' }] },
      action: {
        type: 'startWorkflow',
        workflowType: dailyRunWatchdogWorkflow,
        workflowId: WATCHDOG_SCHEDULE_ID,
        taskQueue: this.deps.taskQueue,
        args: [watchdogInput],
      },
      // A missed check is not worth catching up: the next one judges the same day.
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 minute' },
    });
    const cleanupInput: PlaygroundCleanupInput = {};
    await client.schedule.create({
      scheduleId: PLAYGROUND_CLEANUP_SCHEDULE_ID,
      // Every hour: a public result is gone within an hour of `playground.retentionDays`.
      spec: { intervals: [{ every: '1 hour' }] },
      action: {
        type: 'startWorkflow',
        workflowType: playgroundCleanupWorkflow,
        workflowId: PLAYGROUND_CLEANUP_SCHEDULE_ID,
        taskQueue: this.deps.taskQueue,
        args: [cleanupInput],
      },
      // A missed cleanup is not worth catching up: the next one deletes what is due then.
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 minute' },
    });
  }

  /** The schedule's state and its next and recent runs. */
  async describe(): Promise<DailyScheduleSummary> {
    const d = await this.handle()
      .then((h) => h.describe())
      .catch((err: unknown) => {
        throw err instanceof ScheduleNotFoundError
          ? new NotFoundError(`no schedule ${DAILY_SCHEDULE_ID}; create it: algo schedule create`)
          : err;
      });
    return {
      scheduleId: d.scheduleId,
      paused: d.state.paused,
      note: d.state.note ?? null,
      nextRuns: d.info.nextActionTimes,
      recentRuns: d.info.recentActions.map((a) => ({
        scheduledAt: a.scheduledAt,
        workflowId: a.action.workflow.workflowId,
      })),
    };
  }

  /** Pause, resume, run now (for today in New York) or delete the schedule; delete removes its companions too. */
  async act(action: DailyScheduleAction): Promise<void> {
    const h = await this.handle();
    try {
      if (action === 'pause') await h.pause('paused from the CLI');
      else if (action === 'unpause') await h.unpause('resumed from the CLI');
      else if (action === 'trigger') await h.trigger(ScheduleOverlapPolicy.SKIP);
      else {
        await h.delete();
        await this.deleteCompanions();
      }
    } catch (err) {
      if (err instanceof ScheduleNotFoundError)
        throw new NotFoundError(`no schedule ${DAILY_SCHEDULE_ID}; create it: algo schedule create`);
      throw err;
    }
  }

  private async deleteCompanions(): Promise<void> {
    const { client } = await this.deps.temporal();
    for (const id of CREATED_SCHEDULE_IDS.filter((id) => id !== DAILY_SCHEDULE_ID)) {
      try {
        await client.schedule.getHandle(id).delete();
      } catch (err) {
        if (!(err instanceof ScheduleNotFoundError)) throw err;
      }
    }
  }

  private async handle() {
    return (await this.deps.temporal()).client.schedule.getHandle(DAILY_SCHEDULE_ID);
  }
}
