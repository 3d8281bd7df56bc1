import Bottleneck from 'bottleneck';
import type { RawPriceRow } from '../../domain/bar';
import type { IsoDate } from '../../domain/dates';
import type { MarketDataProvider } from '../../domain/ports';

/**
 * A provider whose requests are spaced to at most `requestsPerMinute`
 * (Bottleneck with `minTime = 60 s / rpm`, one request in flight): every
 * batch of a worker process shares the one limiter of each provider, so four
 * concurrent batches together stay under the provider's quota. Requests wait
 * in a FIFO queue; `waiting()` tells how many.
 */
export class RateLimitedMarketDataProvider implements MarketDataProvider {
  readonly name: string;
  readonly listTickers?: () => Promise<string[]>;
  private readonly limiter: Bottleneck;

  constructor(
    private readonly inner: MarketDataProvider,
    readonly requestsPerMinute: number,
  ) {
    if (!(requestsPerMinute > 0))
      throw new Error(`requestsPerMinute of ${inner.name} must be positive, got ${requestsPerMinute}`);
    this.name = inner.name;
    this.limiter = new Bottleneck({ maxConcurrent: 1, minTime: Math.ceil(60_000 / requestsPerMinute) });
    if (inner.listTickers) this.listTickers = () => inner.listTickers!();
  }

  fetchDaily(request: { ticker: string; from?: IsoDate; to: IsoDate }): Promise<RawPriceRow[]> {
    return this.limiter.schedule(() => this.inner.fetchDaily(request));
  }

  /** Requests queued behind the limiter (not yet sent). */
  waiting(): number {
    return this.limiter.counts().QUEUED;
  }
}
