import { BadInputError } from '../domain/errors';
import {
  watchDailyRun,
  type DailyRunWatchDependencies,
  type DailyRunWatchResult,
} from '../domain/monitoring/daily-run-watch';

export interface WatchdogDependencies {
  /** The daily-run watchdog's ports and settings (`alerts.*`), built by the composition root. */
  watchdog: DailyRunWatchDependencies;
}

/** Input of {@link createWatchdogActivities}' check: the instant to judge (ISO), so a test can pick the day and the hour. */
export interface CheckDailyRunInput {
  at: string;
}

/** The watchdog's one activity: read the day's runs, decide, and send its alert once. */
export function createWatchdogActivities(deps: WatchdogDependencies) {
  return {
    async checkDailyRun(input: CheckDailyRunInput): Promise<DailyRunWatchResult> {
      const at = Date.parse(input.at);
      if (Number.isNaN(at)) throw new BadInputError(`at: "${input.at}" is not an ISO 8601 instant`, { field: 'at' });
      return watchDailyRun(deps.watchdog, at);
    },
  };
}
