import { Context } from '@temporalio/activity';
import {
  deleteExpiredPublicResults,
  type PlaygroundCleanupResult,
  type PlaygroundRetentionPolicy,
  type PlaygroundRetentionPorts,
} from '../domain/backtest/playground-retention';
import { BadInputError } from '../domain/errors';

export interface PlaygroundDependencies {
  /** The public playground's results and how long they are kept (config `playground`), built by the composition root. */
  playground: PlaygroundRetentionPorts & { policy: PlaygroundRetentionPolicy };
}

/** Input of the cleanup activity: the instant to judge ages at (ISO), so a test can pick it; ids per page. */
export interface DeleteExpiredPlaygroundResultsInput {
  at: string;
  /** Results deleted per page (default 100): one heartbeat per page. */
  pageSize?: number;
}

/** The playground cleanup's one activity: paged, heartbeating, idempotent (a retry resumes with what is still due). */
export function createPlaygroundActivities(deps: PlaygroundDependencies) {
  return {
    async deleteExpiredPlaygroundResults(input: DeleteExpiredPlaygroundResultsInput): Promise<PlaygroundCleanupResult> {
      const at = Date.parse(input.at);
      if (Number.isNaN(at)) throw new BadInputError(`at: "${input.at}" is not an ISO 8601 instant`, { field: 'at' });
      return deleteExpiredPublicResults(deps.playground, deps.playground.policy, new Date(at), {
        pageSize: input.pageSize ?? 100,
        onPage: (deleted) => heartbeat(deleted),
      });
    },
  };
}

/** Tell Temporal the cleanup is alive (and how far it got); a no-op outside an activity. */
function heartbeat(deleted: number): void {
  try {
    Context.current().heartbeat({ deleted });
  } catch {
    // Not in an activity context (a direct call in a test).
  }
}
