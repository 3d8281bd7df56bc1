/**
 * Strategy names of the old notification service (`"strategy": "SMACross"`)
 * and ours. The old service knew the two strategies of SEED.md.
 */
const LEGACY_STRATEGY_NAMES: Readonly<Record<string, string>> = {
  smacross: 'sma_cross',
  macdcross: 'macd_cross',
};

/** Our name for an old client's strategy name (`SMACross`, `MACD_Cross`, `sma cross`); other names pass through. */
export function strategyFromLegacyName(name: string): string {
  return LEGACY_STRATEGY_NAMES[name.toLowerCase().replace(/[^a-z]/g, '')] ?? name;
}
