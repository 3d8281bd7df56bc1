import { createIngestionActivities, type IngestionDependencies } from './ingestion.activities';
import { createNotificationActivities, type NotificationDependencies } from './notifications.activities';
import { createSignalActivities, type SignalDependencies } from './signals.activities';
import { mapDomainFailures } from './failures';
import { createBacktestActivities, type BacktestDependencies } from './backtest.activities';
import { createResearchActivities, type ResearchDependencies } from './research.activities';
import { createReadjustmentActivities, type ReadjustmentDependencies } from './readjustment.activities';
import { createDailyRunActivities, type DailyRunDependencies } from './daily-run.activities';
import { createWatchdogActivities, type WatchdogDependencies } from './watchdog.activities';
import { createPlaygroundActivities, type PlaygroundDependencies } from './playground.activities';

/** Everything the activities need; built once by the worker (the composition root). */
export type ActivityDependencies = IngestionDependencies &
  SignalDependencies &
  NotificationDependencies &
  BacktestDependencies &
  ResearchDependencies &
  ReadjustmentDependencies &
  DailyRunDependencies &
  WatchdogDependencies &
  PlaygroundDependencies & {
    /**
     * Brings the rule strategies saved over the API into the registry (a small
     * query by version); called before every activity, so a rule saved or
     * changed a moment ago runs in the next daily run, backtest or sweep.
     */
    refreshStrategies?: () => Promise<void>;
  };

/** All activities, with domain errors mapped to Temporal failures. */
export function createActivities(deps: ActivityDependencies) {
  const activities = {
    ...createIngestionActivities(deps),
    ...createSignalActivities(deps),
    ...createNotificationActivities(deps),
    ...createBacktestActivities(deps),
    ...createResearchActivities(deps),
    ...createReadjustmentActivities(deps),
    ...createDailyRunActivities(deps),
    ...createWatchdogActivities(deps),
    ...createPlaygroundActivities(deps),
  };
  return mapDomainFailures(deps.refreshStrategies ? runFirst(deps.refreshStrategies, activities) : activities);
}

/** Every function of an activities object, calling `first` before it. */
function runFirst<T extends Record<string, (...args: never[]) => Promise<unknown>>>(
  first: () => Promise<void>,
  activities: T,
): T {
  const wrapped: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(activities)) {
    wrapped[name] = async (...args: never[]) => {
      await first();
      return fn(...args);
    };
  }
  return wrapped as T;
}

export type Activities = ReturnType<typeof createActivities>;
