/** Email activities a fan-out keeps in flight at once (whatever the number of workers). */
export const EMAIL_ACTIVITIES_AT_ONCE = 8;

/** The start-to-close timeout of one email activity (one page of recipients). */
export const EMAIL_ACTIVITY_TIMEOUT_SECONDS = 600;

/**
 * The largest page of recipients that, at `maxPerSecond` for the whole
 * deployment shared by {@link EMAIL_ACTIVITIES_AT_ONCE} activities, is sent
 * in half its activity's timeout (the other half is room for a slow server):
 * an activity timed out while it still sends would be retried beside itself.
 */
export function largestEmailPage(maxPerSecond: number): number {
  return Math.floor(((EMAIL_ACTIVITY_TIMEOUT_SECONDS / 2) * maxPerSecond) / EMAIL_ACTIVITIES_AT_ONCE);
}
