import crypto from 'node:crypto';
import { sweepHeatmap, type HeatmapMetric } from '../domain/backtest/heatmap';
import { checkSweepRequest, type SweepRequest } from '../domain/backtest/sweep';
import { NotFoundError, ServiceUnavailableError } from '../domain/errors';
import type { StoredSweep, SweepReader } from '../domain/ports';
import { sweepWorkflow, type SweepInput, type SweepResult } from '../workflows/sweep.workflow';
import { sweepWorkflowId } from '../workflows/workflow-ids';
import { failureText } from './public-failure';
import type { TemporalGateway, TemporalGatewayProvider, WorkflowStarted } from './temporal-gateway';

/**
 * Parameter sweeps as the API and `algo sweep` both run them: a request
 * checked by the one domain rule (checkSweepRequest), started through the
 * Temporal gateway under its workflow id, read back from Postgres (rows,
 * a page of sweeps, the heatmap) or, while it runs, from Temporal.
 */

/** What a sweep's page shows of it. */
export type SweepMeta = Omit<StoredSweep, 'parameterSets'>;

export const sweepMetaOf = (s: StoredSweep): SweepMeta => ({
  id: s.id,
  strategy: s.strategy,
  grid: s.grid,
  combos: s.combos,
  tickers: s.tickers,
  from: s.from,
  to: s.to,
  initialCapital: s.initialCapital,
  status: s.status,
  startedAt: s.startedAt,
  finishedAt: s.finishedAt,
});

export interface SweepsServiceDeps {
  sweeps?: SweepReader;
  /** How to reach Temporal (absent: runs are not known here). */
  temporal?: TemporalGatewayProvider;
}

export class SweepsService {
  constructor(private readonly deps: SweepsServiceDeps) {}

  private reader(): SweepReader {
    if (!this.deps.sweeps) throw new ServiceUnavailableError('sweeps are not configured on this server (repository)');
    return this.deps.sweeps;
  }

  private async gateway(): Promise<TemporalGateway> {
    const gateway = this.deps.temporal;
    if (!gateway) throw new ServiceUnavailableError('sweeps are not configured on this server (workflow client)');
    return gateway();
  }

  /** The workflow input of a request, checked ({@link checkSweepRequest}); `batchSize` passes through. */
  input(request: SweepRequest & Pick<SweepInput, 'batchSize'>): SweepInput {
    const checked = checkSweepRequest(request);
    return { ...checked, tickers: checked.tickers ? [...checked.tickers] : undefined, batchSize: request.batchSize };
  }

  /** Check and start a sweep without waiting. */
  async start(request: SweepRequest): Promise<WorkflowStarted & { id: string }> {
    const input = this.input(request);
    const id = sweepWorkflowId(input.strategy, crypto.randomUUID().slice(0, 8));
    return { id, ...(await (await this.gateway()).start(sweepWorkflow, id, input)) };
  }

  /** Check, start and wait for a sweep (the CLI). */
  async run(
    request: SweepRequest & Pick<SweepInput, 'batchSize'>,
    onStarted?: (id: string) => void,
  ): Promise<SweepResult> {
    const input = this.input(request);
    const id = sweepWorkflowId(input.strategy, crypto.randomUUID().slice(0, 8));
    return (await this.gateway()).execute(sweepWorkflow, id, [input], () => onStarted?.(id));
  }

  /**
   * A sweep with a page of its rows: stored in Postgres, or known to Temporal
   * only (still starting, or failed before its row was written); a failed run
   * says so next to what it stored. {@link NotFoundError} when neither knows it.
   */
  async sweep(
    id: string,
    page: { limit: number; after?: { ticker: string; combo: number } },
    options: { detail?: boolean } = {},
  ) {
    const stored = await this.reader().sweep(id);
    const run =
      stored?.status !== 'completed' && this.deps.temporal
        ? await (await this.gateway()).status(sweepWorkflow, id)
        : null;
    // A public answer (no `detail`) tells a failure in a plain sentence, never its own text.
    const error = run?.status === 'failed' ? failureText(run, 'sweep', id, options.detail) : '';
    if (!stored) {
      if (run?.status === 'running') return { id, status: 'running' as const };
      if (run?.status === 'failed') return { id, status: 'failed' as const, error };
      throw new NotFoundError(`no sweep ${id}`);
    }
    const rows = await this.reader().sweepResultsPage(id, { limit: page.limit + 1, after: page.after });
    const failed = run?.status === 'failed' ? { error } : {};
    return {
      id,
      status: run?.status === 'failed' ? ('failed' as const) : stored.status,
      ...failed,
      sweep: sweepMetaOf(stored),
      rows,
    };
  }

  /** Stored sweeps, newest first: `limit + 1` of them after `after` (the caller pages). */
  async list(page: { limit: number; after?: { startedAt: string; id: string } }): Promise<SweepMeta[]> {
    return (await this.reader().listSweeps({ limit: page.limit + 1, after: page.after })).map(sweepMetaOf);
  }

  /** A sweep as a parameter heatmap (one ticker, or every ticker averaged); {@link NotFoundError} naming what is missing. */
  async heatmap(id: string, query: { ticker?: string; metric?: HeatmapMetric; x?: string; y?: string }) {
    const sweeps = this.reader();
    const sweep = await sweeps.sweep(id);
    if (!sweep) throw new NotFoundError(`no sweep ${id}`);
    const { ticker, metric, x, y } = query;
    const [tickers, figures] = await Promise.all([
      sweeps.sweepTickers(sweep.id),
      sweeps.comboFigures(sweep.id, ticker),
    ]);
    if (ticker && !tickers.includes(ticker)) {
      throw Object.assign(new NotFoundError(`sweep ${sweep.id} has no results for ${ticker}`), { field: 'ticker' });
    }
    const map = sweepHeatmap({ parameterSets: sweep.parameterSets, figures, metric, x, y });
    return { sweep: sweepMetaOf(sweep), tickers, ticker: ticker ?? null, ...map };
  }
}
