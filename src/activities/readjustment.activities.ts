import { Context } from '@temporalio/activity';
import type { Bar, EnrichedBar } from '../domain/bar';
import { adjustForSplits } from '../domain/corporate-actions';
import type { IsoDate } from '../domain/dates';
import { MarketDataError } from '../domain/errors';
import { enrichBars } from '../domain/indicators';
import type { HistoryRewrite, PriceReadjustmentRepository } from '../domain/ports';
import { validatePriceRows } from '../domain/price-validation';
import { applySplitToStored, type PriceReadjustment, type ReadjustmentCause } from '../domain/readjustment';
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

/** Fetched bars in place of the stored ones of the same days; stored days the provider no longer serves are kept. */
function mergeByDate(stored: readonly Bar[], fetched: readonly Bar[]): Bar[] {
  const byDate = new Map<string, Bar>(stored.map((b) => [b.date, b]));
  for (const bar of fetched) byDate.set(bar.date, bar);
  return [...byDate.values()].sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
}

/** Re-adjustment of a stored ticker's history (a split after it, or a provider that rewrote it). */
export function createReadjustmentActivities(deps: ReadjustmentDependencies) {
  return {
    /**
     * Rewrite the ticker's stored bars for `cause` and recompute all its
     * indicators, in one transaction with the record in price_readjustments.
     * A split divides the bars stored through `cause.storedThrough`; a changed
     * provider history is fetched again in full (with failover), split-adjusted
     * and stored over the old bars. Recorded once per workflow id: a retry or
     * a second run of the same id changes nothing.
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

      let rewrite: HistoryRewrite;
      let apply: (stored: EnrichedBar[]) => EnrichedBar[];
      if (cause.reason === 'split') {
        rewrite = {
          ...record,
          factor: cause.factor,
          detail: `split x${cause.factor} on ${cause.date}: bars through ${cause.storedThrough} divided by ${cause.factor}`,
        };
        apply = (stored) => reenrich(applySplitToStored(stored, cause.factor, cause.storedThrough));
      } else {
        const context = Context.current();
        const fetched = await fetchWithFailover(deps, input, { ticker, to: input.asOf }, (d) => context.heartbeat(d));
        const { bars, actions } = validatePriceRows(fetched.rows, { asOf: input.asOf, ticker });
        if (bars.length === 0)
          throw new MarketDataError(`${ticker}: ${fetched.provider} served no valid bar to backfill again`);
        const adjusted = actions.length > 0 ? adjustForSplits(bars, actions) : bars;
        rewrite = {
          ...record,
          factor: null,
          detail: `${cause.detail}; backfilled again from ${fetched.provider} (${bars.length} bars from ${bars[0].date})`,
          actions,
        };
        apply = (stored) => reenrich(mergeByDate(stored, adjusted));
      }
      const { readjustment, alreadyRecorded } = await deps.readjustments.rewriteHistory(rewrite, apply);
      return { ...readjustment, alreadyRecorded };
    },
  };
}

export type ReadjustmentActivities = ReturnType<typeof createReadjustmentActivities>;
