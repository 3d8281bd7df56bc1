import { createIngestionActivities, type IngestionDependencies } from './ingestion.activities';
import { mapDomainFailures } from './failures';

/** Everything the activities need; built once by the worker (the composition root). */
export type ActivityDependencies = IngestionDependencies;

/** All activities, with domain errors mapped to Temporal failures. */
export function createActivities(deps: ActivityDependencies) {
  return mapDomainFailures({
    ...createIngestionActivities(deps),
  });
}

export type Activities = ReturnType<typeof createActivities>;
