import { Context } from '@temporalio/activity';
import type { Bar, EnrichedBar } from '../domain/bar';
import { adjustForSplits } from '../domain/corporate-actions';
import { addDays, type IsoDate } from '../domain/dates';
import { MarketDataError } from '../domain/errors';
import { enrichBars } from '../domain/indicators';
import type { HistoryRewrite, HistoryRewritePlan, PriceReadjustmentRepository } from '../domain/ports';
import { validatePriceRows } from '../domain/price-validation';
import {
  applySplitToStored,
  implausibleRebackfill,
  implausibleSplits,
  type PriceReadjustment,
  type ReadjustmentCause,
} from '../domain/readjustment';
import { fetchWithFailover, type IngestionDependencies, type MarketDataSelection } from './ingestion.activities';

export interface ReadjustmentDependencies extends Pick<
  IngestionDependencies,
  'marketData' | 'fetchHeartbeatMs' | 'prices'
> {
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
 * Why the splits found after the stored history are implausible (see
 * implausibleSplits): each judged on its own, on the closes as traded of its
 * ex-date and of the day before (a stored bar's raw close, or a new day's
 * as served now). `splits`: the cause's list, else the one split it names.
 */
function splitDoubt(
  stored: readonly EnrichedBar[],
  served: readonly Bar[],
  cause: Extract<ReadjustmentCause, { reason: 'split' }>,
): string | null {
  const closes = [
    ...stored.filter((b) => b.date <= cause.storedThrough).map((b) => ({ date: b.date, close: b.rawClose ?? b.close })),
    ...served.map((b) => ({ date: b.date, close: b.close })),
  ];
  const splits = cause.splits ?? [{ date: cause.date, factor: cause.factor }];
  const judged = [];
  for (const split of splits) {
    const at = closes.findIndex((c) => c.date === split.date);
    if (at <= 0)
      return `split factor ${split.factor} on ${split.date}: no bar of that day and the day before to check it against`;
    judged.push({
      date: split.date,
      factor: split.factor,
      closeBefore: closes[at - 1].close,
      closeOn: closes[at].close,
    });
  }
  return implausibleSplits(judged);
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
        // The ingestion stored none of its new days (see saveIngestions): they come again from the provider,
        // as traded, and are stored with the rewrite, adjusted for the splits among them.
        const context = Context.current();
        const fetched = await fetchWithFailover(
          deps,
          input,
          { ticker, from: addDays(cause.storedThrough, 1), to: input.asOf },
          (d) => context.heartbeat(d),
        );
        const lastStored = await deps.prices.latestBars(ticker, 1);
        const previous = lastStored.length > 0 ? lastStored[0] : undefined;
        const served = validatePriceRows(fetched.rows, {
          asOf: input.asOf,
          after: cause.storedThrough,
          ticker,
          previousClose: previous ? (previous.rawClose ?? previous.close) : undefined,
        });
        const fresh = served.actions.length > 0 ? adjustForSplits(served.bars, served.actions) : served.bars;
        rewrite = {
          ...common,
          factor: cause.factor,
          detail: `split x${cause.factor} on ${cause.date}: bars through ${cause.storedThrough} divided by ${cause.factor}; ${fresh.length} new ${fresh.length === 1 ? 'bar' : 'bars'} from ${fetched.provider} stored with them`,
          actions: served.actions,
        };
        apply = (stored) => {
          const doubt = approved ? null : splitDoubt(stored, served.bars, cause);
          if (doubt !== null) return { quarantine: doubt };
          const through = stored.filter((b) => b.date <= cause.storedThrough);
          return { bars: reenrich([...applySplitToStored(through, cause.factor, cause.storedThrough), ...fresh]) };
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
