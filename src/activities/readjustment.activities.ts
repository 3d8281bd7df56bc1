import { Context } from '@temporalio/activity';
import type { Bar, EnrichedBar } from '../domain/bar';
import { adjustForSplits } from '../domain/corporate-actions';
import type { IsoDate } from '../domain/dates';
import { MarketDataError } from '../domain/errors';
import { enrichBars } from '../domain/indicators';
import type { HistoryRewrite, HistoryRewritePlan, PriceReadjustmentRepository } from '../domain/ports';
import { validatePriceRows } from '../domain/price-validation';
import {
  applySplitToStored,
  implausibleRebackfill,
  implausibleSplit,
  type PriceReadjustment,
  type ReadjustmentCause,
} from '../domain/readjustment';
import { fetchWithFailover, type IngestionDependencies, type MarketDataSelection } from './ingestion.activities';

export interface ReadjustmentDependencies extends Pick<IngestionDependencies, 'marketData' | 'fetchHeartbeatMs'> {
  readjustments: PriceReadjustmentRepository;
}

/** Input of {@link ReadjustmentActivities.readjustStoredHistory}. */
export interface ReadjustStoredHistoryInput extends MarketDataSelection {
  ticker: string;
  cause: ReadjustmentCause;
  /** The ingestion's as-of day: a re-backfill fetches nothing later. */
  asOf: IsoDate;
  /** The re-adjustment workflow: the record is written once per id. */
  workflowId: string;
  ingestionRunId: string | null;
  /** The quarantined re-adjustment this run applies (`algo readjust approve`): no plausibility check. */
  approves?: number;
}

/** A re-adjustment as the activity reports it. */
export interface StoredHistoryReadjustment extends PriceReadjustment {
  /** True when this workflow id had recorded it before: nothing was written again. */
  alreadyRecorded: boolean;
}

/** Every bar's indicators computed again over the whole rewritten series. */
function reenrich(bars: readonly Bar[]): EnrichedBar[] {
  return enrichBars(bars, []);
}

/**
 * Why a split after the stored history is implausible (see implausibleSplit):
 * judged on the closes as traded of its ex-date (stored by the ingestion
 * that found it) and of the stored day before.
 */
function splitDoubt(
  stored: readonly EnrichedBar[],
  cause: Extract<ReadjustmentCause, { reason: 'split' }>,
): string | null {
  const at = stored.findIndex((b) => b.date === cause.date);
  const on = at >= 0 ? stored[at] : undefined;
  const before = at > 0 ? stored[at - 1] : undefined;
  if (!before || !on) return `split factor ${cause.factor} on ${cause.date}: no stored bar to check it against`;
  return implausibleSplit({
    date: cause.date,
    factor: cause.factor,
    closeBefore: before.rawClose ?? before.close,
    closeOn: on.rawClose ?? on.close,
  });
}

/** Re-adjustment of a stored ticker's history (a split after it, or a provider that rewrote it). */
export function createReadjustmentActivities(deps: ReadjustmentDependencies) {
  return {
    /**
     * Rewrite the ticker's stored bars for `cause` and recompute all its
     * indicators, in one transaction with the record in price_readjustments.
     * A split divides the bars stored through `cause.storedThrough`; a changed
     * provider history is fetched again in full (with failover), split-adjusted
     * and stored in place of the old bars. An implausible split or re-backfill
     * (implausibleSplit, implausibleRebackfill) is recorded quarantined and
     * changes nothing, unless `approves` names it. Recorded once per workflow
     * id: a retry or a second run of the same id changes nothing.
     */
    async readjustStoredHistory(input: ReadjustStoredHistoryInput): Promise<StoredHistoryReadjustment> {
      const { ticker, cause } = input;
      const recorded = await deps.readjustments.readjustmentOf(input.workflowId);
      if (recorded) return { ...recorded, alreadyRecorded: true };
      const record = {
        ticker,
        workflowId: input.workflowId,
        ingestionRunId: input.ingestionRunId,
        reason: cause.reason,
        date: cause.date,
      };

      // What an approval needs to run it again: the provider selection and the as-of day.
      const selection = {
        asOf: input.asOf,
        provider: input.provider,
        ...(input.providers ? { providers: input.providers } : {}),
        ...(input.csvDir ? { csvDir: input.csvDir } : {}),
      };
      const approved = input.approves !== undefined;
      const common = { ...record, cause, selection, ...(approved ? { approves: input.approves } : {}) };
      let rewrite: HistoryRewrite;
      let apply: (stored: EnrichedBar[]) => HistoryRewritePlan;
      if (cause.reason === 'split') {
        rewrite = {
          ...common,
          factor: cause.factor,
          detail: `split x${cause.factor} on ${cause.date}: bars through ${cause.storedThrough} divided by ${cause.factor}`,
        };
        apply = (stored) => {
          const doubt = approved ? null : splitDoubt(stored, cause);
          if (doubt !== null) return { quarantine: doubt };
          return { bars: reenrich(applySplitToStored(stored, cause.factor, cause.storedThrough)) };
        };
      } else {
        const context = Context.current();
        const fetched = await fetchWithFailover(deps, input, { ticker, to: input.asOf }, (d) => context.heartbeat(d));
        const { bars, actions } = validatePriceRows(fetched.rows, { asOf: input.asOf, ticker });
        if (bars.length === 0)
          throw new MarketDataError(`${ticker}: ${fetched.provider} served no valid bar to backfill again`);
        const adjusted = actions.length > 0 ? adjustForSplits(bars, actions) : bars;
        rewrite = {
          ...common,
          factor: null,
          detail: `${cause.detail}; backfilled again from ${fetched.provider} (${bars.length} bars from ${bars[0].date})`,
          actions,
        };
        const fetchedDates = new Set(adjusted.map((b) => b.date));
        apply = (stored) => {
          const doubt = approved
            ? null
            : implausibleRebackfill(
                stored.map((b) => b.date),
                fetchedDates,
                cause.compared !== undefined && cause.differing !== undefined
                  ? { date: cause.date, compared: cause.compared, differing: cause.differing }
                  : undefined,
              );
          if (doubt !== null) return { quarantine: doubt };
          return { bars: reenrich(adjusted) };
        };
      }
      const { readjustment, alreadyRecorded } = await deps.readjustments.rewriteHistory(rewrite, apply);
      return { ...readjustment, alreadyRecorded };
    },

    /** Put back the bars an applied re-adjustment replaced (see PriceReadjustmentRepository.undoReadjustment). */
    async undoReadjustment(input: { id: number }): Promise<PriceReadjustment> {
      return deps.readjustments.undoReadjustment(input.id);
    },
  };
}

export type ReadjustmentActivities = ReturnType<typeof createReadjustmentActivities>;
