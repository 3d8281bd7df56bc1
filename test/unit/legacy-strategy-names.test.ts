import { strategyFromLegacyName } from '../../src/domain/strategies';

describe("the old notification service's strategy names", () => {
  it('map to ours; our own names and unknown ones pass through', () => {
    expect(strategyFromLegacyName('SMACross')).toBe('sma_cross');
    expect(strategyFromLegacyName('MACDCross')).toBe('macd_cross');
    expect(strategyFromLegacyName('SMA cross')).toBe('sma_cross');
    expect(strategyFromLegacyName('sma_cross')).toBe('sma_cross');
    expect(strategyFromLegacyName('rsi_reversion')).toBe('rsi_reversion');
    expect(strategyFromLegacyName('Moon')).toBe('Moon');
  });
});
