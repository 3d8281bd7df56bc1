import type { TickerSummary } from '../../../src/domain/subscriptions';
import { TickersService } from '../../../src/services/tickers.service';

const summary = (ticker: string, over: Partial<TickerSummary> = {}): TickerSummary => ({
  ticker,
  configured: false,
  subscribers: 0,
  pendingSubscribers: 0,
  lastDate: null,
  ...over,
});

/** A service over an in-memory tracked set: configured MSFT, added IBM and KO, KO with a pending subscriber. */
function service() {
  const added = new Set(['IBM', 'KO']);
  const subscribers = {
    // Like Postgres: configured, added, and subscribed (KO) tickers.
    trackedTickers: async () =>
      [
        ...[...added].filter((t) => t !== 'KO').map((t) => summary(t)),
        summary('KO', { pendingSubscribers: 1 }),
        summary('MSFT', { configured: true }),
      ].sort((a, b) => a.ticker.localeCompare(b.ticker)),
    trackTicker: async (ticker: string) => !added.has(ticker) && Boolean(added.add(ticker)),
    untrackTicker: async (ticker: string) => added.delete(ticker),
    list: async () => [],
    latestSignalDate: async () => null,
  };
  return new TickersService({
    subscribers,
    signals: { list: async () => [] },
    subscriptions: {
      subscribe: async () => {
        throw new Error('not used');
      },
    },
    config: {
      tickers: ['MSFT'],
      strategies: {
        default: [{ name: 'sma_cross', params: {} }],
        perTicker: { MSFT: [{ name: 'rsi_reversion', params: {} }] },
      },
    },
  });
}

describe('TickersService', () => {
  it('lists every tracked ticker with the strategies it runs by config', async () => {
    expect((await service().list()).map((t) => [t.ticker, t.strategies])).toEqual([
      ['IBM', ['sma_cross']],
      ['KO', ['sma_cross']],
      ['MSFT', ['rsi_reversion']],
    ]);
  });

  it('untracks added tickers; configured and subscribed ones stay tracked, and say why', async () => {
    expect(await service().untrack(['IBM', 'KO', 'MSFT', 'NOPE', 'IBM'])).toEqual([
      { ticker: 'IBM', removed: true, tracked: false },
      { ticker: 'KO', removed: true, tracked: true, reason: 'it has subscribers' },
      { ticker: 'MSFT', removed: false, tracked: true, reason: 'it is in the config (tickers)' },
      { ticker: 'NOPE', removed: false, tracked: false },
    ]);
  });

  it('tracks new tickers once and answers 404 (UnknownTickerError) for an untracked one', async () => {
    const tickers = service();
    expect(await tickers.track(['AAPL', 'AAPL', 'IBM'], 'cli')).toEqual([
      { ticker: 'AAPL', tracked: true, created: true },
      { ticker: 'IBM', tracked: true, created: false },
    ]);
    await expect(tickers.get('NOPE')).rejects.toMatchObject({ name: expect.stringMatching(/UnknownTicker/) });
  });
});
