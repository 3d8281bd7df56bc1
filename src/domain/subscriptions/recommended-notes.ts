import { RECOMMENDED_STRATEGY, type Subscription } from './subscription.types';

/** A ticker's current recommendation as the notes read it; null: no recommendation was ever made for it. */
export type RecommendationStanding = {
  strategy: string | null;
  params: Readonly<Record<string, number>> | null;
  reason: string | null;
} | null;

const paramsText = (params: Readonly<Record<string, number>> | null) =>
  params && Object.keys(params).length
    ? ` (${Object.entries(params)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ')})`
    : '';

/**
 * What a "recommended" subscription to `ticker` does now, in plain words:
 * the daily run follows the current recommendation, and sends nothing for a
 * ticker without one (never made, or no strategy beat buy-and-hold).
 */
export function recommendedSubscriptionNote(ticker: string, standing: RecommendationStanding): string {
  if (standing === null)
    return (
      `${ticker} has no recommendation yet: your "recommended" subscription sends no email for ${ticker} ` +
      `until a walk-forward recommendation is made for it and picks a strategy that beats buy-and-hold.`
    );
  if (standing.strategy === null)
    return (
      `No strategy is recommended for ${ticker} (${standing.reason ?? 'no reason given'}): ` +
      `your "recommended" subscription sends no email for ${ticker} until a later recommendation picks a strategy ` +
      `that beats buy-and-hold.`
    );
  return (
    `${ticker}: your "recommended" subscription follows ${standing.strategy}${paramsText(standing.params)}, ` +
    `the current recommendation, and whatever later recommendations pick.`
  );
}

/** The tickers of `pairs` followed as "recommended", once each, in order. */
export function recommendedTickers(pairs: readonly Subscription[]): string[] {
  return [...new Set(pairs.filter((p) => p.strategy === RECOMMENDED_STRATEGY).map((p) => p.ticker))];
}
