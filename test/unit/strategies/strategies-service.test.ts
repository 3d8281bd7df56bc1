import type { EnrichedBar } from '../../../src/domain/bar';
import { StrategiesService } from '../../../src/services/strategies.service';
import { loadSp500 } from '../sp500-bars';

const STORED: Record<string, EnrichedBar[]> = { AAPL: loadSp500('AAPL') };
const service = new StrategiesService({
  prices: { bars: (ticker: string) => Promise.resolve(STORED[ticker] ?? []) },
  defaultTickers: ['AAPL', 'NOPE'],
});

describe('StrategiesService.check (algo strategy check)', () => {
  it('checks each ticker on its last bars and skips one without bars', async () => {
    const result = await service.check({ strategy: 'donchian_breakout', bars: 120 });
    expect(result.ok).toBe(true);
    expect(result.tickers.map((t) => [t.ticker, t.status])).toEqual([
      ['AAPL', 'ok'],
      ['NOPE', 'skipped'],
    ]);
    const aapl = result.tickers[0];
    expect(aapl.status === 'ok' && aapl.report).toMatchObject({ bars: 120, daysChecked: 119, firstDifference: null });
  });

  it('refuses an unknown strategy, bad parameters or a bar count out of range', async () => {
    await expect(service.check({ strategy: 'nope' })).rejects.toThrow('unknown strategy "nope"');
    await expect(service.check({ strategy: 'sma_cross', params: { fast: 0 } })).rejects.toThrow('bad parameter fast');
    await expect(service.check({ strategy: 'sma_cross', bars: 5000 })).rejects.toThrow('bars must be');
  });
});
