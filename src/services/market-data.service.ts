import crypto from 'node:crypto';
import { WorkflowFailedError } from '@temporalio/client';
import type { EnrichedBar } from '../domain/bar';
import type { IsoDate } from '../domain/dates';
import { UnknownTickerError } from '../domain/errors';
import type { MarketDataProviderName } from '../domain/market-data';
import type { PriceRepository } from '../domain/ports';
import {
  ingestPricesWorkflow,
  ingestProgressQuery,
  type IngestPricesInput,
  type IngestPricesResult,
  type IngestProgress,
} from '../workflows/ingest-prices.workflow';
import { ingestWorkflowId } from '../workflows/workflow-ids';
import { workflowFailureError, type TemporalGateway, type WorkflowStarted } from './temporal-gateway';

export interface MarketDataDependencies {
  /** Stored bars with their indicators. */
  prices(): Pick<PriceRepository, 'bars' | 'lastBarDates'>;
  temporal(): Promise<TemporalGateway>;
  today(): IsoDate;
  /** What an ingestion leaves out: the configured tickers and batch sizes. */
  defaults: { tickers: readonly string[]; batchSize: number; maxConcurrentBatches: number };
}

/** An ingestion as a person asks for it; what it leaves out comes from {@link MarketDataDependencies.defaults}. */
export interface IngestRequest {
  provider: MarketDataProviderName;
  providers?: MarketDataProviderName[];
  csvDir?: string;
  /** Default: every file of the CSV directory (csv), else the configured tickers. */
  tickers?: string[];
  /** Default: today in New York. */
  asOf?: IsoDate;
  batchSize?: number;
}

/** How often a running ingestion is asked for its progress. */
const PROGRESS_POLL_MS = 500;

/** Prices: ingest them through the ingestion workflow, read them back. */
export class MarketDataService {
  constructor(private readonly deps: MarketDataDependencies) {}

  /** The workflow input of `request`: its own values, else the defaults. */
  ingestInput(request: IngestRequest): IngestPricesInput {
    const { defaults } = this.deps;
    // Only the csv provider can list its tickers.
    const tickers = request.tickers ?? (request.provider !== 'csv' ? [...defaults.tickers] : undefined);
    return {
      provider: request.provider,
      ...(request.providers ? { providers: request.providers } : {}),
      csvDir: request.csvDir,
      tickers,
      asOf: request.asOf ?? this.deps.today(),
      batchSize: request.batchSize ?? defaults.batchSize,
      maxConcurrentBatches: defaults.maxConcurrentBatches,
    };
  }

  /** Run an ingestion: tell `onStarted`, report its progress while it runs, and return its result. */
  async ingest(
    request: IngestRequest,
    on: {
      started?(started: WorkflowStarted, input: IngestPricesInput): void;
      progress?(progress: IngestProgress): void;
    } = {},
  ): Promise<IngestPricesResult> {
    const input = this.ingestInput(request);
    const gateway = await this.deps.temporal();
    const started = await gateway.start(
      ingestPricesWorkflow,
      ingestWorkflowId(input.asOf, crypto.randomUUID().slice(0, 8)),
      input,
    );
    on.started?.(started, input);
    const handle = gateway.client.workflow.getHandle<typeof ingestPricesWorkflow>(started.workflowId, started.runId);
    const poll = setInterval(() => {
      handle.query(ingestProgressQuery).then(
        (p) => on.progress?.(p),
        () => undefined, // not started yet or already closed: the next poll or the result tells
      );
    }, PROGRESS_POLL_MS);
    try {
      return await handle.result();
    } catch (err) {
      if (err instanceof WorkflowFailedError) throw workflowFailureError(err);
      throw err;
    } finally {
      clearInterval(poll);
    }
  }

  /** Stored bars of `ticker` in a date range; {@link UnknownTickerError} when it has none at all. */
  async bars(ticker: string, range: { from?: IsoDate; to?: IsoDate }): Promise<EnrichedBar[]> {
    const prices = this.deps.prices();
    if (!(await prices.lastBarDates([ticker])).has(ticker)) throw new UnknownTickerError(ticker);
    return prices.bars(ticker, range);
  }
}
