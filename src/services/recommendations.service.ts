import crypto from 'node:crypto';
import type { RecommendTickerResult } from '../activities/research.activities';
import { resolveCandidates } from '../domain/backtest/candidates';
import type { OutOfSample, WindowEvidence } from '../domain/backtest/walk-forward';
import { BadInputError, NotFoundError, ServiceUnavailableError } from '../domain/errors';
import type { RecommendationEvidence, RecommendationStore, StoredRecommendation } from '../domain/ports';
import { parseTickerSymbols } from '../domain/ticker-symbol';
import { recommendWorkflow, type RecommendInput, type RecommendResult } from '../workflows/recommend.workflow';
import { recommendWorkflowId } from '../workflows/workflow-ids';
import { failureText } from './public-failure';
import type { TemporalGateway, TemporalGatewayProvider, WorkflowStarted } from './temporal-gateway';

/**
 * Walk-forward recommendations as the API and `algo recommend` both run them:
 * candidates checked by the one domain rule (resolveCandidates), started
 * through the Temporal gateway, read back as the current recommendation of
 * each ticker with its out-of-sample evidence and folds.
 */

/** A request for a recommendation run, before validation. */
export interface RecommendRequest {
  tickers?: readonly string[];
  strategies?: readonly string[];
  batchSize?: number;
}

/** One ticker's recommendation with its out-of-sample evidence, as `algo recommend` prints it. */
export interface RecommendationReport extends RecommendTickerResult {
  /** The recommended strategy's test windows (or, without a recommendation, the best-ranked candidate's). */
  windows: Array<
    Pick<WindowEvidence, 'trainFrom' | 'trainTo' | 'testFrom' | 'testTo' | 'params' | 'buyAndHoldReturnPct'> & {
      test: OutOfSample;
    }
  >;
  /** Every candidate's stitched out-of-sample figures, ranked, with why it is not eligible. */
  candidates: Array<{ strategy: string; eligible: boolean; reason?: string; outOfSample: OutOfSample }>;
}

/** A current recommendation with the recommended candidate's out-of-sample figures against buy-and-hold. */
export function currentRecommendationView(r: StoredRecommendation) {
  const evidence = r.evidence as RecommendationEvidence | null;
  const chosen = evidence?.candidates.find((c) => c.strategy === r.strategy);
  return {
    ticker: r.ticker,
    strategy: r.strategy,
    params: r.params,
    reason: r.reason,
    asOf: r.asOf,
    runId: r.runId,
    createdAt: r.createdAt,
    changed: r.changed,
    outOfSample: chosen?.outOfSample ?? null,
    baseline: evidence?.baseline ?? null,
    links: { folds: `/recommendations/${r.ticker}/folds` },
  };
}

export interface RecommendationsServiceDeps {
  recommendations?: Pick<RecommendationStore, 'current'>;
  /** How to reach Temporal (absent: runs are not known here). */
  temporal?: TemporalGatewayProvider;
}

export class RecommendationsService {
  constructor(private readonly deps: RecommendationsServiceDeps) {}

  private store(): Pick<RecommendationStore, 'current'> {
    if (!this.deps.recommendations)
      throw new ServiceUnavailableError('recommendations are not configured on this server (repository)');
    return this.deps.recommendations;
  }

  private async gateway(): Promise<TemporalGateway> {
    const gateway = this.deps.temporal;
    if (!gateway)
      throw new ServiceUnavailableError('recommendations are not configured on this server (workflow client)');
    return gateway();
  }

  /** The workflow input of a request: tickers and candidates checked, de-duplicated. */
  input(request: RecommendRequest): RecommendInput {
    const strategies = request.strategies?.length ? [...new Set(request.strategies)] : undefined;
    try {
      resolveCandidates(strategies);
    } catch (err) {
      if (err instanceof BadInputError && !err.field) throw new BadInputError(err.message, { field: 'strategies' });
      throw err;
    }
    const tickers = request.tickers ? parseTickerSymbols(request.tickers) : undefined;
    return {
      ...(tickers ? { tickers } : {}),
      ...(strategies ? { strategies } : {}),
      ...(request.batchSize ? { batchSize: request.batchSize } : {}),
    };
  }

  /** Check and start a run without waiting. */
  async start(request: RecommendRequest): Promise<WorkflowStarted & { id: string }> {
    const input = this.input(request);
    const id = recommendWorkflowId(crypto.randomUUID().slice(0, 8));
    return { id, ...(await (await this.gateway()).start(recommendWorkflow, id, input)) };
  }

  /** Check, start and wait for a run, then each ticker's stored evidence (the CLI). */
  async run(
    request: RecommendRequest,
    onStarted?: (id: string) => void,
  ): Promise<{ result: RecommendResult; reports: RecommendationReport[] }> {
    const input = this.input(request);
    const id = recommendWorkflowId(crypto.randomUUID().slice(0, 8));
    const result = await (await this.gateway()).execute(recommendWorkflow, id, [input], () => onStarted?.(id));
    return { result, reports: await this.reports(result) };
  }

  /** How run `id` stands; {@link NotFoundError} for no such run. Without `detail` a failure is a plain sentence. */
  async runStatus(id: string, options: { detail?: boolean } = {}) {
    const run = await (await this.gateway()).requireStatus(recommendWorkflow, id, 'recommendation run');
    if (run.status === 'running') return { id, status: 'running' as const };
    if (run.status === 'failed') {
      const error = failureText(run, 'recommendation run', id, options.detail);
      return { id, status: 'failed' as const, error };
    }
    return { id, status: 'completed' as const, candidates: run.result.candidates, tickers: run.result.tickers };
  }

  /** Current recommendations (of one ticker when given), sorted by ticker. */
  async current(ticker?: string) {
    const current = await this.store().current(ticker ? [ticker] : undefined);
    return current
      .sort((a, b) => (a.ticker < b.ticker ? -1 : a.ticker > b.ticker ? 1 : 0))
      .map(currentRecommendationView);
  }

  /** A ticker's current recommendation with the walk-forward folds of every candidate; {@link NotFoundError} without one. */
  async folds(ticker: string) {
    const [current] = await this.store().current([ticker]);
    if (!current)
      throw new NotFoundError(`no recommendation for ${ticker} yet (run: algo recommend --tickers ${ticker})`);
    const evidence = current.evidence as RecommendationEvidence;
    return {
      ticker: current.ticker,
      runId: current.runId,
      asOf: current.asOf,
      createdAt: current.createdAt,
      strategy: current.strategy,
      params: current.params,
      reason: current.reason,
      options: evidence.options,
      baseline: evidence.baseline,
      candidates: evidence.candidates.map((c) => ({
        strategy: c.strategy,
        recommended: c.strategy === current.strategy,
        eligible: c.eligible,
        reason: c.reason ?? null,
        outOfSample: c.outOfSample,
        currentParams: c.currentParams,
        folds: c.windows,
      })),
    };
  }

  /** A run's results with the stored out-of-sample evidence of each ticker. */
  async reports(result: RecommendResult): Promise<RecommendationReport[]> {
    const stored = await this.store().current(result.tickers.map((t) => t.ticker));
    const evidenceOf = new Map(
      stored.filter((s) => s.runId === result.runId).map((s) => [s.ticker, s.evidence as RecommendationEvidence]),
    );
    return result.tickers.map((t) => {
      const evidence = evidenceOf.get(t.ticker);
      const shown = evidence?.candidates.find((c) => c.strategy === t.strategy) ?? evidence?.candidates[0];
      return {
        ...t,
        windows: (shown?.windows ?? []).map(
          ({ trainFrom, trainTo, testFrom, testTo, params, test, buyAndHoldReturnPct }) => ({
            trainFrom,
            trainTo,
            testFrom,
            testTo,
            params,
            test,
            buyAndHoldReturnPct,
          }),
        ),
        candidates: (evidence?.candidates ?? []).map((c) => ({
          strategy: c.strategy,
          eligible: c.eligible,
          ...(c.reason ? { reason: c.reason } : {}),
          outOfSample: c.outOfSample,
        })),
      };
    });
  }
}
