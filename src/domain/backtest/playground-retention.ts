import { backtestReportKeys, type ObjectStore } from '../object-store';
import type { PublicBacktestDeletion, PublicBacktestDeletionReason, PublicBacktestRepository } from '../ports';

/**
 * How long the public playground keeps its results, and how many (issue 18
 * point 4: the playground cannot fill the disk). Config `playground`.
 */
export interface PlaygroundRetentionPolicy {
  /** A public result is deleted once it is older than this many days. */
  retentionDays: number;
  /** At most this many public results are kept; a new one first deletes the oldest beyond it. */
  maxStoredResults: number;
}

/** What deleting public results touches: the rows in Postgres and the report files in the object store. */
export interface PlaygroundRetentionPorts {
  publicBacktests: PublicBacktestRepository;
  reports: Pick<ObjectStore, 'delete'>;
}

/** How long a deleted public result's link keeps saying why it is gone (then it is an unknown id). */
export const DELETION_MEMORY_DAYS = 365;

const DAY_MS = 86_400_000;

/**
 * Delete public results `ids` for `reason`: their stored objects first, then
 * their rows and the record of the deletion in one transaction, so that a
 * failure in between leaves them due and a retry finishes the job.
 */
export async function deletePublicResults(
  ports: PlaygroundRetentionPorts,
  ids: readonly string[],
  reason: PublicBacktestDeletionReason,
  at: Date,
): Promise<void> {
  if (ids.length === 0) return;
  for (const id of ids) {
    const keys = backtestReportKeys(id);
    await ports.reports.delete(keys.html);
    await ports.reports.delete(keys.svg);
  }
  await ports.publicBacktests.markDeleted(ids, reason, at);
}

/** What one cleanup deleted. */
export interface PlaygroundCleanupResult {
  /** Public results deleted (rows and objects). */
  deleted: number;
  /** Pages of `pageSize` it took. */
  pages: number;
  /** Deletions older than {@link DELETION_MEMORY_DAYS} forgotten. */
  forgotten: number;
}

/**
 * Delete every public result older than `policy.retentionDays` at `now`, a
 * page at a time (`onPage` after each, for a heartbeat). Idempotent: what is
 * deleted is no longer due, so a retry resumes where a failure stopped.
 */
export async function deleteExpiredPublicResults(
  ports: PlaygroundRetentionPorts,
  policy: Pick<PlaygroundRetentionPolicy, 'retentionDays'>,
  now: Date,
  options: { pageSize: number; onPage?: (deletedSoFar: number) => void },
): Promise<PlaygroundCleanupResult> {
  const before = new Date(now.getTime() - policy.retentionDays * DAY_MS);
  let deleted = 0;
  let pages = 0;
  for (;;) {
    const ids = await ports.publicBacktests.due(before, options.pageSize);
    if (ids.length === 0) break;
    await deletePublicResults(ports, ids, 'expired', now);
    deleted += ids.length;
    pages += 1;
    options.onPage?.(deleted);
  }
  const forgotten = await ports.publicBacktests.forgetDeletions(
    new Date(now.getTime() - DELETION_MEMORY_DAYS * DAY_MS),
  );
  return { deleted, pages, forgotten };
}

/**
 * Before a new public backtest is kept: delete the oldest public results so
 * that, with the new one, at most `policy.maxStoredResults` are kept. Returns
 * how many were deleted. Admin backtests are neither counted nor deleted.
 */
export async function makeRoomForPublicResult(
  ports: PlaygroundRetentionPorts,
  policy: Pick<PlaygroundRetentionPolicy, 'maxStoredResults'>,
  at: Date,
): Promise<number> {
  const excess = (await ports.publicBacktests.countKept()) + 1 - policy.maxStoredResults;
  if (excess <= 0) return 0;
  const ids = await ports.publicBacktests.oldestKept(excess);
  await deletePublicResults(ports, ids, 'cap', at);
  return ids.length;
}

/** The sentence a deleted public result's link answers (410). */
export function publicResultGoneMessage(
  id: string,
  deletion: PublicBacktestDeletion,
  policy: PlaygroundRetentionPolicy,
): string {
  const day = deletion.deletedAt.toISOString().slice(0, 10);
  return deletion.reason === 'expired'
    ? `backtest ${id} has expired: public playground results are deleted after ${policy.retentionDays} days (deleted on ${day}); run it again to see it`
    : `backtest ${id} was deleted on ${day} to make room: the public playground keeps its ${policy.maxStoredResults} newest results; run it again to see it`;
}
