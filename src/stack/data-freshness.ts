import type { Kysely } from 'kysely';
import type { AppConfig } from '../config/config';
import type { Database } from '../adapters/postgres/database';
import { PostgresPriceRepository } from '../adapters/postgres/postgres-price.repository';
import { PostgresReadjustmentRepository } from '../adapters/postgres/postgres-readjustment.repository';
import { PostgresTrackingRepository } from '../adapters/postgres/postgres-tracking.repository';
import { openDatabase } from '../composition';
import { previousTradingDay } from '../domain/calendar';
import { isoDateInZone, type IsoDate } from '../domain/dates';

/** Whether the tracked tickers have their bars, and which re-adjustments wait for a decision: what `algo stack status` shows under the parts. */
export interface DataFreshness {
  /** The last trading day before today (New York): every tracked ticker should have its bar. */
  expected: IsoDate;
  tracked: number;
  /** Tracked tickers without a bar for `expected`, with their last stored bar (null: none at all), oldest first. */
  stale: Array<{ ticker: string; lastDate: IsoDate | null }>;
  /** Re-adjustments quarantined and waiting for `algo readjust approve ID`, oldest first. */
  quarantined: Array<{ id: number; ticker: string; date: IsoDate; reason: string }>;
}

/** The tracked tickers (configured and subscribed) whose last stored bar is older than the last trading day before `now`. */
export async function dataFreshness(
  db: Kysely<Database>,
  config: Pick<AppConfig, 'tickers' | 'strategies'>,
  now = Date.now(),
): Promise<DataFreshness> {
  const expected = previousTradingDay(isoDateInZone(now, 'America/New_York'));
  const tracked = await new PostgresTrackingRepository(db, config).trackedTickers();
  const last = await new PostgresPriceRepository(db).lastBarDates(tracked);
  const stale = tracked
    .map((ticker) => ({ ticker, lastDate: last.get(ticker) ?? null }))
    .filter((s) => s.lastDate === null || s.lastDate < expected)
    .sort((a, b) => (a.lastDate ?? '').localeCompare(b.lastDate ?? '') || a.ticker.localeCompare(b.ticker));
  const quarantined = (await new PostgresReadjustmentRepository(db).readjustments({ status: 'quarantined' })).map(
    (r) => ({ id: r.id, ticker: r.ticker, date: r.date, reason: r.quarantineReason ?? r.reason }),
  );
  return { expected, tracked: tracked.length, stale, quarantined };
}

/** {@link dataFreshness} on the configured database, or why it cannot be told (no database, not migrated). */
export async function stackDataFreshness(
  config: AppConfig,
  now = Date.now(),
): Promise<DataFreshness | { error: string }> {
  const db = openDatabase(config, { max: 1 });
  try {
    return await dataFreshness(db, config, now);
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err) };
  } finally {
    await db.destroy();
  }
}
