import type { Bar, EnrichedBar } from './bar';
import type { IsoDate } from './dates';

/**
 * Why a ticker's stored history must be rewritten, as an ingestion finds it.
 * - `split`: splits dated after the stored bars arrived; every bar stored up
 *   to `storedThrough` (the last stored date before that ingestion) is still
 *   unadjusted for them and is divided by `factor` (their product).
 * - `adjusted_history_changed`: the provider's bars of days already stored
 *   no longer match them (Yahoo rewrites its adjusted history after a split
 *   or a dividend); the ticker is backfilled again from the provider.
 */
export type ReadjustmentCause =
  | { reason: 'split'; date: IsoDate; factor: number; storedThrough: IsoDate }
  | { reason: 'adjusted_history_changed'; date: IsoDate; detail: string };

/** A recorded re-adjustment (table price_readjustments). */
export interface PriceReadjustment {
  ticker: string;
  /** The split's ex-date, or the first stored date whose bar no longer matched. */
  date: IsoDate;
  /** What stored prices were divided by; null for a re-backfill. */
  factor: number | null;
  /** Stored bars whose values changed (prices or indicators). */
  rowsChanged: number;
  reason: ReadjustmentCause['reason'];
  detail: string | null;
  workflowId: string;
  ingestionRunId: string | null;
}

/** Calendar days before the last stored date that an ingestion fetches again, to compare with what is stored. */
export const OVERLAP_CALENDAR_DAYS = 10;
/** Relative difference of a close or adjusted close beyond which a stored bar no longer matches the provider. */
export const OVERLAP_TOLERANCE = 1e-5;

/**
 * The first of `fetched` (bars of days already stored, adjusted as they would
 * be stored) whose close or adjusted close differs from the stored bar of the
 * same day by more than {@link OVERLAP_TOLERANCE} (relative), or null when all
 * match. Days present on one side only are not compared.
 */
export function overlapMismatch(
  fetched: readonly Bar[],
  stored: readonly Bar[],
): { date: IsoDate; detail: string } | null {
  const byDate = new Map(stored.map((b) => [b.date, b]));
  for (const bar of fetched) {
    const old = byDate.get(bar.date);
    if (!old) continue;
    for (const field of ['close', 'adjClose'] as const) {
      if (!differs(bar[field], old[field])) continue;
      const ratio = old[field] / bar[field];
      return {
        date: bar.date,
        detail: `${field} ${bar.date}: stored ${old[field]}, provider ${bar[field]} (stored/provider ${round(ratio)})`,
      };
    }
  }
  return null;
}

function differs(a: number, b: number): boolean {
  return Math.abs(a - b) > OVERLAP_TOLERANCE * Math.max(Math.abs(a), Math.abs(b));
}

function round(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}

/**
 * Stored bars re-adjusted for a split that arrived after them: every bar
 * dated `storedThrough` or earlier has its open, high, low and close divided,
 * and its volume multiplied (rounded), by `factor`, the way
 * {@link adjustForSplits} adjusts a fresh history: the close from the raw
 * close (so the result equals a first backfill of the same raw file), the
 * provider's adjusted close kept unless it was the close itself. Later bars
 * are returned as they are. Indicators are left as they were: recompute them.
 */
export function applySplitToStored(
  bars: readonly EnrichedBar[],
  factor: number,
  storedThrough: IsoDate,
): EnrichedBar[] {
  return bars.map((bar) => {
    if (bar.date > storedThrough) return bar;
    const previous = bar.splitFactor ?? 1;
    const total = previous * factor;
    const rawClose = bar.rawClose ?? bar.close;
    return {
      ...bar,
      open: bar.open / factor,
      high: bar.high / factor,
      low: bar.low / factor,
      close: rawClose / total,
      adjClose: bar.adjClose === bar.close ? rawClose / total : bar.adjClose,
      volume: Math.round(bar.volume * factor),
      rawClose,
      splitFactor: total,
    };
  });
}
