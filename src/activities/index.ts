import { createIngestionActivities, type IngestionDependencies } from './ingestion.activities';
import { createNotificationActivities, type NotificationDependencies } from './notifications.activities';
import { createSignalActivities, type SignalDependencies } from './signals.activities';
import { mapDomainFailures } from './failures';
import { createBacktestActivities, type BacktestDependencies } from './backtest.activities';
import { createResearchActivities, type ResearchDependencies } from './research.activities';
import { createReadjustmentActivities, type ReadjustmentDependencies } from './readjustment.activities';
import { createDailyRunActivities, type DailyRunDependencies } from './daily-run.activities';
import { createWatchdogActivities, type WatchdogDependencies } from './watchdog.activities';

/** Everything the activities need; built once by the worker (the composition root). */
export type ActivityDependencies = IngestionDependencies &
  SignalDependencies &
  NotificationDependencies &
  BacktestDependencies &
  ResearchDependencies &
  ReadjustmentDependencies &
  DailyRunDependencies &
  WatchdogDependencies;

/** All activities, with domain errors mapped to Temporal failures. */
export function createActivities(deps: ActivityDependencies) {
  return mapDomainFailures({
    ...createIngestionActivities(deps),
    ...createSignalActivities(deps),
    ...createNotificationActivities(deps),
    ...createBacktestActivities(deps),
    ...createResearchActivities(deps),
    ...createReadjustmentActivities(deps),
    ...createDailyRunActivities(deps),
    ...createWatchdogActivities(deps),
  });
}

export type Activities = ReturnType<typeof createActivities>;
