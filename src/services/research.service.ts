import { addDays, type IsoDate } from '../domain/dates';
import { BadInputError, NotFoundError, ServiceUnavailableError, UnknownTickerError } from '../domain/errors';
import { runBacktest } from '../domain/backtest/engine';
import type {
  PriceRepository,
  RecommendationEvidence,
  RecommendationStore,
  StoredRecommendation,
} from '../domain/ports';
import { backtestPromise, forwardReturns, hitRates, type SignalOutcome } from '../domain/research/forward-returns';
import { indicatorLines } from '../domain/research/indicator-lines';
import { ourSignalOn } from '../domain/notifications/reported-signal';
import { parseParamList, planForLabel, type LabelPlan } from '../domain/research/label-plan';
import type { ResearchRepository, StoredSignal, TickerStrategy } from '../domain/research/ports';
import { BarSeries } from '../domain/strategies/bar-series';
import { configuredStrategies, type StrategiesConfig } from '../domain/strategies/configured-strategies';
import { RECOMMENDED_LABEL_PREFIX, recommendedLabel } from '../domain/subscriptions';

/**
 * The research pages' reads: a ticker's chart with a strategy's indicators
 * and recorded signals, its state per strategy, the "why did I get this"
 * page of one signal, and the track record of the signals actually emailed.
 */

/** Most bars one chart answers. */
export const MAX_CHART_BARS = 1300;

export interface ResearchServiceDeps {
  repository: ResearchRepository;
  prices: Pick<PriceRepository, 'bars' | 'barsOfTickers'>;
  recommendations: Pick<RecommendationStore, 'current'>;
  /** The configured strategies (config `strategies`). */
  strategies: StrategiesConfig;
  /** The tickers followed (configured or subscribed). */
  trackedTickers(): Promise<string[]>;
}

/** A strategy plan as the pages show it. */
const planView = (plan: LabelPlan) => ({
  label: plan.label,
  name: plan.strategy.name,
  params: { ...plan.params },
  source: plan.source,
  rules: plan.strategy.rules(plan.params),
  description: plan.strategy.description,
});

/** What the recommendation pages show of a stored recommendation: its out-of-sample evidence, folds of the chosen strategy. */
export function recommendationView(r: StoredRecommendation) {
  const evidence = (r.evidence ?? {}) as Partial<RecommendationEvidence>;
  const candidates = Array.isArray(evidence.candidates) ? evidence.candidates : [];
  const chosen = candidates.find((c) => c.strategy === r.strategy);
  return {
    strategy: r.strategy,
    params: r.params,
    reason: r.reason,
    asOf: r.asOf,
    createdAt: r.createdAt,
    changed: r.changed,
    previousStrategy: r.previousStrategy,
    windows: typeof evidence.windows === 'number' ? evidence.windows : null,
    outOfSample: chosen?.outOfSample ?? null,
    baseline: evidence.baseline ?? null,
    folds: (chosen?.windows ?? []).map((w) => ({
      trainFrom: w.trainFrom,
      trainTo: w.trainTo,
      testFrom: w.testFrom,
      testTo: w.testTo,
      params: w.params,
      test: w.test,
      buyAndHoldReturnPct: w.buyAndHoldReturnPct,
    })),
    candidates: candidates.map((c) => ({
      strategy: c.strategy,
      eligible: c.eligible,
      reason: c.reason ?? null,
      outOfSample: c.outOfSample,
    })),
  };
}

const publicSignal = (s: StoredSignal) => ({ ...s });

export class ResearchService {
  constructor(private readonly deps: ResearchServiceDeps) {}

  /** A research service, or a 503 naming what is missing. */
  static require(deps: ResearchServiceDeps | undefined): ResearchService {
    if (!deps) throw new ServiceUnavailableError('research reads are not configured');
    return new ResearchService(deps);
  }

  private configured(ticker: string) {
    return configuredStrategies(this.deps.strategies, ticker);
  }

  private async currentRecommendation(ticker: string): Promise<StoredRecommendation | null> {
    return (await this.deps.recommendations.current([ticker])).find((x) => x.ticker === ticker) ?? null;
  }

  /** Bars of a window (at most {@link MAX_CHART_BARS}) with a strategy's indicator lines and its recorded BUY/SELL signals. */
  async tickerChart(ticker: string, q: { strategy?: string; params?: string; from?: IsoDate; to?: IsoDate }) {
    const stored = await this.deps.repository.storedRange(ticker);
    if (!stored) throw new UnknownTickerError(ticker);
    const label = q.strategy ?? this.configured(ticker)[0]?.name ?? 'sma_cross';
    const recommendation = label.startsWith(RECOMMENDED_LABEL_PREFIX) ? await this.currentRecommendation(ticker) : null;
    const plan = planForLabel({
      label,
      configured: this.configured(ticker),
      recommendation,
      requested: parseParamList(q.params),
    });
    const to = q.to && q.to < stored.last ? q.to : stored.last;
    const from = q.from ?? addDays(to, -365);
    // An empty chart would say nothing; the answer names the field and both dates.
    if (from > to)
      throw new BadInputError(
        `from ${from} is after to ${to}${q.to && q.to <= stored.last ? '' : ` (the last stored bar of ${ticker})`}: pick a From on or before To`,
        { field: 'from' },
      );
    // Indicators need the bars before the window: as many as the strategy reads, or all of them for recursive ones (EMA, RSI).
    const lookback = plan.strategy.lookback(plan.params);
    const readFrom = Number.isFinite(lookback) ? addDays(from, -Math.ceil(lookback * 1.5) - 10) : undefined;
    const bars = await this.deps.prices.bars(ticker, { from: readFrom, to });
    const series = BarSeries.from(bars);
    let start = series.indexOnOrAfter(from);
    const end = series.indexOnOrBefore(to);
    const truncated = end - start + 1 > MAX_CHART_BARS;
    if (truncated) start = end - MAX_CHART_BARS + 1;
    const window = bars.slice(start, end + 1);
    const chart = plan.strategy.chart(plan.params);
    const lines = indicatorLines(series, plan.strategy, plan.params, start, end);
    const indicators: Record<string, Array<number | null>> = {};
    for (const line of [...chart.overlays, ...chart.panes.flatMap((p) => p.lines)]) {
      indicators[line.key] = lines[line.key] ?? window.map(() => null);
    }
    const first = window[0]?.date ?? null;
    const last = window[window.length - 1]?.date ?? null;
    const markers =
      first && last ? await this.deps.repository.trades({ ticker, strategy: label, from: first, to: last }) : [];
    // What the strategy would have done had it been followed from the window's first day: the backtest engine's fills.
    const backtest =
      first && last
        ? runBacktest({
            bars: series,
            strategy: plan.strategy,
            params: plan.params,
            startDate: first,
            endDate: last,
            output: 'summary',
          })
        : null;
    const wouldSignal = backtest
      ? [...(backtest.initialPosition ? [backtest.initialPosition] : []), ...backtest.trades].map((t) => ({
          date: t.signalDate,
          signal: t.side,
        }))
      : [];
    return {
      ticker,
      strategy: planView(plan),
      chart,
      from: first,
      to: last,
      stored,
      truncated,
      bars: window.map((b) => ({
        date: b.date,
        open: b.open,
        high: b.high,
        low: b.low,
        close: b.close,
        volume: b.volume,
      })),
      indicators,
      markers: markers.map((m) => ({ date: m.date, signal: m.signal as 'BUY' | 'SELL', strategy: m.strategy })),
      wouldSignal,
    };
  }

  /** One recorded signal: the numbers behind it, the rule in words, forward returns, its recommendation. */
  async signalPage(ticker: string, label: string, date: IsoDate) {
    const signal = await this.deps.repository.signal({ ticker, strategy: label, date });
    if (!signal) throw new NotFoundError(`no ${label} signal recorded for ${ticker} on ${date}`);
    const recommendation = label.startsWith(RECOMMENDED_LABEL_PREFIX) ? await this.currentRecommendation(ticker) : null;
    const plan = planForLabel({ label, configured: this.configured(ticker), recommendation });
    // 60 trading days fit in 100 calendar days; read a little more for long closures.
    const after = BarSeries.from(await this.deps.prices.bars(ticker, { from: date, to: addDays(date, 120) }));
    const index = after.length > 0 && after.dates[0] === date ? 0 : -1;
    // A reported signal (an old client's word): what our rules give on that date, where we have the bar.
    const ours = signal.reportedBy
      ? ((await ourSignalOn(this.deps, this.configured(ticker), { ticker, date, strategy: plan.strategy.name }))
          ?.signal ?? null)
      : undefined;
    return {
      signal: publicSignal(signal),
      strategy: planView(plan),
      chart: plan.strategy.chart(plan.params),
      forward: forwardReturns(after, index),
      sent: await this.deps.repository.wasSent({ ticker, strategy: label, date }),
      ...(ours !== undefined ? { ours } : {}),
      recommendation: recommendation ? recommendationView(recommendation) : null,
      chartWindow: { from: addDays(date, -270), to: addDays(date, 120) },
    };
  }

  /** A ticker's current state per strategy, its recommendation, its latest signals. */
  async tickerState(ticker: string) {
    const [stored, states, recommendation, latest] = await Promise.all([
      this.deps.repository.storedRange(ticker),
      this.deps.repository.labelStates(ticker),
      this.currentRecommendation(ticker),
      this.deps.repository.latestTrades(ticker, 20),
    ]);
    const tracked = (await this.deps.trackedTickers()).includes(ticker);
    if (!stored && !tracked && states.length === 0) throw new UnknownTickerError(ticker);
    const configured = this.configured(ticker);
    const labels = [...configured.map((p) => p.name)];
    if (recommendation?.strategy) labels.push(recommendedLabel(recommendation.strategy));
    for (const s of states) if (!labels.includes(s.strategy)) labels.push(s.strategy);
    const byLabel = new Map(states.map((s) => [s.strategy, s]));
    const strategies = [];
    for (const label of labels) {
      let plan: LabelPlan;
      try {
        plan = planForLabel({ label, configured, recommendation });
      } catch {
        continue; // a label of a strategy no longer registered
      }
      const s = byLabel.get(label);
      const last = s?.last.signal;
      strategies.push({
        strategy: planView(plan),
        position: last ? (last === 'BUY' || last === 'HOLD' ? ('long' as const) : ('flat' as const)) : null,
        lastSignal: s ? { date: s.last.date, signal: s.last.signal } : null,
        lastBuy: s?.lastBuy ?? null,
        lastSell: s?.lastSell ?? null,
        trades: s?.trades ?? 0,
      });
    }
    return {
      ticker,
      stored,
      strategies,
      recommendation: recommendation ? recommendationView(recommendation) : null,
      latestSignals: latest.map(publicSignal),
    };
  }

  /**
   * Per strategy and ticker, after `q.after`: forward hit rates of the signals
   * emailed next to what a backtest promised; `last` is the key of the last
   * pair when more follow (the caller's cursor).
   */
  async trackRecord(q: { ticker?: string; strategy?: string; after?: TickerStrategy; limit: number }) {
    const pairs = await this.deps.repository.sentPairs({
      ticker: q.ticker,
      strategy: q.strategy,
      after: q.after,
      limit: q.limit + 1,
    });
    const page = { items: pairs.slice(0, q.limit), more: pairs.length > q.limit };
    const trades = await this.deps.repository.sentTrades(page.items);
    const tickers = [...new Set(page.items.map((p) => p.ticker))];
    const bars = await this.deps.prices.barsOfTickers(tickers, { to: '9999-12-31' });
    const recommendations = new Map((await this.deps.recommendations.current(tickers)).map((x) => [x.ticker, x]));
    const items = [];
    for (const pair of page.items) {
      const series = BarSeries.from(bars.get(pair.ticker) ?? []);
      const own = trades.filter((t) => t.ticker === pair.ticker && t.strategy === pair.strategy);
      const recommendation = recommendations.get(pair.ticker) ?? null;
      let plan: LabelPlan;
      try {
        plan = planForLabel({ label: pair.strategy, configured: this.configured(pair.ticker), recommendation });
      } catch {
        continue;
      }
      const outcomes: Array<SignalOutcome & { date: IsoDate }> = own.map((t) => {
        const i = series.indexOnOrAfter(t.date);
        return {
          date: t.date,
          signal: t.signal as 'BUY' | 'SELL',
          forward: forwardReturns(series, series.dates[i] === t.date ? i : -1),
        };
      });
      const recView =
        pair.strategy.startsWith(RECOMMENDED_LABEL_PREFIX) && recommendation
          ? recommendationView(recommendation)
          : null;
      items.push({
        ticker: pair.ticker,
        strategy: planView(plan),
        firstSent: own[0]?.date ?? '',
        lastSent: own[own.length - 1]?.date ?? '',
        buys: own.filter((t) => t.signal === 'BUY').length,
        sells: own.filter((t) => t.signal === 'SELL').length,
        actual: hitRates(outcomes),
        promised: backtestPromise({
          bars: series,
          strategy: plan.strategy,
          params: plan.params,
          before: own[0]?.date ?? '9999-12-31',
        }),
        recommendation: recView
          ? { asOf: recView.asOf, outOfSample: recView.outOfSample, baseline: recView.baseline }
          : null,
        recent: outcomes
          .slice(-20)
          .reverse()
          .map((o) => ({ date: o.date, signal: o.signal, forward: [...o.forward] })),
      });
    }
    return { items, last: page.more ? page.items[page.items.length - 1] : null };
  }
}
