import type { Bar, EnrichedBar } from './bar';
import type { SplitEvent } from './corporate-actions';
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
  | {
      reason: 'split';
      date: IsoDate;
      factor: number;
      storedThrough: IsoDate;
      /** Each split of `factor`, judged on its own (absent in causes recorded before they were listed). */
      splits?: SplitEvent[];
    }
  | {
      reason: 'adjusted_history_changed';
      date: IsoDate;
      detail: string;
      /** Overlap days compared and differing (absent in causes recorded before they were counted). */
      compared?: number;
      differing?: number;
    };

/**
 * Where a recorded re-adjustment stands: `applied` (the history was
 * rewritten; the values it replaced are kept), `quarantined` (judged
 * implausible, nothing rewritten: `algo readjust approve` applies it),
 * `approved` (a quarantined one applied since, by the record named in its
 * detail) or `undone` (`algo readjust undo` put the replaced values back).
 */
export type ReadjustmentStatus = 'applied' | 'quarantined' | 'approved' | 'undone';

/** A recorded re-adjustment (table price_readjustments). */
export interface PriceReadjustment {
  id: number;
  status: ReadjustmentStatus;
  /** Why it was quarantined (absent unless it was). */
  quarantineReason?: string;
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
export function overlapMismatch(fetched: readonly Bar[], stored: readonly Bar[]): OverlapMismatch | null {
  const byDate = new Map(stored.map((b) => [b.date, b]));
  let first: { date: IsoDate; detail: string } | null = null;
  let compared = 0;
  let differing = 0;
  for (const bar of fetched) {
    const old = byDate.get(bar.date);
    if (!old) continue;
    compared++;
    const field = (['close', 'adjClose'] as const).find((f) => differs(bar[f], old[f]));
    if (field === undefined) continue;
    differing++;
    if (first === null) {
      const ratio = old[field] / bar[field];
      first = {
        date: bar.date,
        detail: `${field} ${bar.date}: stored ${old[field]}, provider ${bar[field]} (stored/provider ${round(ratio)})`,
      };
    }
  }
  return first === null ? null : { ...first, compared, differing };
}

/** How the provider's bars of stored days differ from them: the first that does, and how many do. */
export interface OverlapMismatch {
  date: IsoDate;
  detail: string;
  /** Stored days the provider served again. */
  compared: number;
  /** Of them, the days whose close or adjusted close differs. */
  differing: number;
}

/**
 * Splits outside these bounds are refused whatever the prices say: the
 * largest forward splits listed in the US were 50-for-1 (Chipotle, 2024),
 * the deepest reverse splits 1-for-several-hundred.
 */
export const SPLIT_FACTOR_BOUNDS = { min: 1 / 1000, max: 100 } as const;

/**
 * The raw close across a split's ex-date must move by the factor within
 * this band: the day before's close / the ex-date's close / factor in
 * [1/1.5, 1.5]. On the six splits of our raw files the residual is
 * 0.965..1.029; of 646,174 ordinary days in our files 17 moved by more
 * than 1.5x (and a few of those are unrecorded splits).
 */
export const SPLIT_PRICE_BAND = 1.5;

/**
 * Why a split found after the stored history is implausible, or null when
 * it is plausible: its factor is outside {@link SPLIT_FACTOR_BOUNDS}, or the
 * close as traded the day before (`closeBefore`) and on the ex-date
 * (`closeOn`) do not move by about the factor ({@link SPLIT_PRICE_BAND}).
 */
export function implausibleSplit(split: {
  date: IsoDate;
  factor: number;
  closeBefore: number;
  closeOn: number;
}): string | null {
  const { date, factor, closeBefore, closeOn } = split;
  if (!(factor >= SPLIT_FACTOR_BOUNDS.min && factor <= SPLIT_FACTOR_BOUNDS.max))
    return `split factor ${factor} on ${date} is outside [${SPLIT_FACTOR_BOUNDS.min}, ${SPLIT_FACTOR_BOUNDS.max}]`;
  const residual = closeBefore / closeOn / factor;
  if (residual > SPLIT_PRICE_BAND || residual < 1 / SPLIT_PRICE_BAND)
    return `split factor ${factor} on ${date} does not match the prices: the close went from ${closeBefore} to ${closeOn} (${round(closeBefore / closeOn)}x, expected ${round(factor)}x within ${SPLIT_PRICE_BAND}x)`;
  return null;
}

/**
 * Why several splits found in one ingestion are implausible, or null when
 * each is plausible: every split is judged on its own ex-date and its own
 * closes ({@link implausibleSplit}), never on their product. When one fails,
 * the reason names it and says which passed: they wait with it, since
 * applying them alone would leave the history adjusted for some of the
 * ingestion's splits and not for the others.
 */
export function implausibleSplits(
  splits: ReadonlyArray<{ date: IsoDate; factor: number; closeBefore: number; closeOn: number }>,
): string | null {
  const judged = splits.map((split) => ({ split, doubt: implausibleSplit(split) }));
  const doubts = judged.filter((j) => j.doubt !== null).map((j) => j.doubt);
  if (doubts.length === 0) return null;
  const passed = judged.filter((j) => j.doubt === null).map((j) => `x${j.split.factor} on ${j.split.date}`);
  const waiting = passed.length > 0 ? `; the plausible split ${passed.join(', ')} waits with it` : '';
  return `${doubts.join('; ')}${waiting}`;
}

/**
 * Why a re-backfill must not replace the stored history, or null when it
 * may: the provider no longer serves some stored days (merging would leave
 * bars of two adjustment bases side by side, dropping them would lose
 * history), or its overlap disagreed on one day only while the others
 * matched (one bad answer, not a rewritten history).
 */
export function implausibleRebackfill(
  storedDates: readonly IsoDate[],
  fetchedDates: ReadonlySet<IsoDate>,
  mismatch: Pick<OverlapMismatch, 'date' | 'compared' | 'differing'> | undefined,
): string | null {
  const missing = storedDates.filter((date) => !fetchedDates.has(date));
  if (missing.length > 0)
    return `the provider served ${storedDates.length - missing.length} of the ${storedDates.length} stored days (first missing ${missing[0]}): the rest would be left on the old adjustment basis`;
  if (mismatch && mismatch.differing === 1 && mismatch.compared > 1)
    return `only ${mismatch.date} differs among the ${mismatch.compared} stored days fetched again: one bad answer, not a rewritten history`;
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
