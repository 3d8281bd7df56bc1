import { z } from 'zod';
import { addDays, type IsoDate } from '../../domain/dates';
import { UnknownTickerError } from '../../domain/errors';
import type { RecommendationEvidence, StoredRecommendation } from '../../domain/ports';
import { backtestPromise, forwardReturns, hitRates, type SignalOutcome } from '../../domain/research/forward-returns';
import { parseParamList, planForLabel, type LabelPlan } from '../../domain/research/label-plan';
import type { StoredSignal, TickerStrategy } from '../../domain/research/ports';
import { BarSeries } from '../../domain/strategies/bar-series';
import { RECOMMENDED_LABEL_PREFIX, recommendedLabel } from '../../domain/subscriptions';
import type { ApiContext, ApiDeps, ZodApp } from '../api-context';
import { HttpError } from '../errors';
import { decodeCursor, pageOf, toPage } from '../pagination';
import { tickerParams } from '../schemas';
import {
  chartQuery,
  chartResponse,
  MAX_CHART_BARS,
  recommendationSchema,
  signalParams,
  signalResponse,
  stateResponse,
  trackRecordItem,
  trackRecordQuery,
} from './research.schemas';

type Research = NonNullable<ApiDeps['research']>;
type Plan = z.infer<typeof signalResponse>['strategy'];

function research(ctx: ApiContext): Research {
  if (!ctx.deps.research) throw new HttpError(503, 'unavailable', 'research reads are not configured');
  return ctx.deps.research;
}

/** The configured strategies (with parameters) of a ticker. */
const configuredPlans = (ctx: ApiContext, ticker: string) => ctx.deps.config.strategies.perTicker[ticker] ?? ctx.deps.config.strategies.default;

async function currentRecommendation(r: Research, ticker: string): Promise<StoredRecommendation | null> {
  return (await r.recommendations.current([ticker])).find((x) => x.ticker === ticker) ?? null;
}

const planView = (plan: LabelPlan): Plan => ({
  label: plan.label,
  name: plan.strategy.name,
  params: { ...plan.params },
  source: plan.source,
  rules: plan.strategy.rules(plan.params),
  description: plan.strategy.description,
});

const round = (v: number): number | null => (v === v ? Math.round(v * 1e6) / 1e6 : null);

/** What the recommendation pages show of a stored recommendation: its out-of-sample evidence, folds of the chosen strategy. */
export function recommendationView(r: StoredRecommendation): z.infer<typeof recommendationSchema> {
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
      trainFrom: w.trainFrom, trainTo: w.trainTo, testFrom: w.testFrom, testTo: w.testTo, params: w.params, test: w.test, buyAndHoldReturnPct: w.buyAndHoldReturnPct,
    })),
    candidates: candidates.map((c) => ({ strategy: c.strategy, eligible: c.eligible, reason: c.reason ?? null, outOfSample: c.outOfSample })),
  };
}

const publicSignal = (s: StoredSignal) => ({ ...s });

/** Ticker chart, ticker state, the "why did I get this" signal page and the track record. */
export function registerResearchRoutes(app: ZodApp, ctx: ApiContext): void {
  app.get(
    '/tickers/:ticker/chart',
    {
      schema: {
        tags: ['research'],
        summary: `Bars of a date window (at most ${MAX_CHART_BARS}) with a strategy's indicators and its recorded BUY/SELL signals as markers`,
        params: tickerParams,
        querystring: chartQuery,
        response: { 200: chartResponse },
      },
    },
    async (request) => {
      const r = research(ctx);
      const { ticker } = request.params;
      const q = request.query;
      const stored = await r.repository.storedRange(ticker);
      if (!stored) throw new UnknownTickerError(ticker);
      const label = q.strategy ?? configuredPlans(ctx, ticker)[0]?.name ?? 'sma_cross';
      const recommendation = label.startsWith(RECOMMENDED_LABEL_PREFIX) ? await currentRecommendation(r, ticker) : null;
      const plan = planForLabel({ label, configured: configuredPlans(ctx, ticker), recommendation, requested: parseParamList(q.params) });
      const to = q.to && q.to < stored.last ? q.to : stored.last;
      const from = q.from ?? addDays(to, -365);
      // Indicators need the bars before the window: as many as the strategy reads, or all of them for recursive ones (EMA, RSI).
      const lookback = plan.strategy.lookback(plan.params);
      const readFrom = Number.isFinite(lookback) ? addDays(from, -Math.ceil(lookback * 1.5) - 10) : undefined;
      const bars = await r.prices.bars(ticker, { from: readFrom, to });
      const series = BarSeries.from(bars);
      const prepared = plan.strategy.prepare(series, plan.params);
      let start = series.indexOnOrAfter(from);
      const end = series.indexOnOrBefore(to);
      const truncated = end - start + 1 > MAX_CHART_BARS;
      if (truncated) start = end - MAX_CHART_BARS + 1;
      const window = bars.slice(start, end + 1);
      const chart = plan.strategy.chart(plan.params);
      const indicators: Record<string, Array<number | null>> = {};
      for (const line of [...chart.overlays, ...chart.panes.flatMap((p) => p.lines)]) {
        const values = prepared.lines?.[line.key];
        indicators[line.key] = values ? Array.from(values.subarray(start, end + 1), round) : window.map(() => null);
      }
      const first = window[0]?.date ?? null;
      const last = window[window.length - 1]?.date ?? null;
      const markers = first && last ? await r.repository.trades({ ticker, strategy: label, from: first, to: last }) : [];
      return {
        ticker,
        strategy: planView(plan),
        chart,
        from: first,
        to: last,
        stored,
        truncated,
        bars: window.map((b) => ({ date: b.date, open: b.open, high: b.high, low: b.low, close: b.close, volume: b.volume })),
        indicators,
        markers: markers.map((m) => ({ date: m.date, signal: m.signal as 'BUY' | 'SELL', strategy: m.strategy })),
      };
    },
  );

  app.get(
    '/signals/:ticker/:strategy/:date',
    {
      schema: {
        tags: ['research'],
        summary: 'One recorded signal: the numbers behind it, the rule in words, forward returns at 5/20/60 trading days, its recommendation',
        params: signalParams,
        response: { 200: signalResponse },
      },
    },
    async (request) => {
      const r = research(ctx);
      const { ticker, strategy: label, date } = request.params;
      const signal = await r.repository.signal({ ticker, strategy: label, date });
      if (!signal) throw new HttpError(404, 'not_found', `no ${label} signal recorded for ${ticker} on ${date}`);
      const recommendation = label.startsWith(RECOMMENDED_LABEL_PREFIX) ? await currentRecommendation(r, ticker) : null;
      const plan = planForLabel({ label, configured: configuredPlans(ctx, ticker), recommendation });
      // 60 trading days fit in 100 calendar days; read a little more for long closures.
      const after = BarSeries.from(await r.prices.bars(ticker, { from: date, to: addDays(date, 120) }));
      const index = after.length > 0 && after.dates[0] === date ? 0 : -1;
      return {
        signal: publicSignal(signal),
        strategy: planView(plan),
        chart: plan.strategy.chart(plan.params),
        forward: forwardReturns(after, index),
        sent: await r.repository.wasSent({ ticker, strategy: label, date }),
        recommendation: recommendation ? recommendationView(recommendation) : null,
        chartWindow: { from: addDays(date, -270), to: addDays(date, 120) },
      };
    },
  );

  app.get(
    '/tickers/:ticker/state',
    {
      schema: {
        tags: ['research'],
        summary: 'Current state per strategy (configured, recommended, recorded), the recommendation with its out-of-sample evidence, latest BUY/SELL signals',
        params: tickerParams,
        response: { 200: stateResponse },
      },
    },
    async (request) => {
      const r = research(ctx);
      const { ticker } = request.params;
      const [stored, states, recommendation, latest] = await Promise.all([
        r.repository.storedRange(ticker),
        r.repository.labelStates(ticker),
        currentRecommendation(r, ticker),
        r.repository.latestTrades(ticker, 20),
      ]);
      const tracked = (await ctx.deps.subscribers.trackedTickers(ctx.deps.config.tickers)).some((t) => t.ticker === ticker);
      if (!stored && !tracked && states.length === 0) throw new UnknownTickerError(ticker);
      const configured = configuredPlans(ctx, ticker);
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
    },
  );

  const pairKey = z.object({ ticker: z.string(), strategy: z.string() });

  app.get(
    '/track-record',
    {
      schema: {
        tags: ['research'],
        summary: 'Per strategy and ticker: forward hit rates at 5/20/60 days of the signals actually emailed (BUY up, SELL down), next to what a backtest promised',
        querystring: trackRecordQuery,
        response: { 200: pageOf(trackRecordItem) },
      },
    },
    async (request) => {
      const r = research(ctx);
      const q = request.query;
      let after: TickerStrategy | undefined;
      if (q.cursor) {
        const decoded = decodeCursor(q.cursor, pairKey);
        if (!decoded) throw new HttpError(400, 'bad_request', 'query.cursor: not a cursor of this list');
        after = decoded;
      }
      const pairs = await r.repository.sentPairs({ ticker: q.ticker, strategy: q.strategy, after, limit: q.limit + 1 });
      const page = toPage(pairs, q.limit, (p) => ({ ticker: p.ticker, strategy: p.strategy }));
      const trades = await r.repository.sentTrades(page.items);
      const tickers = [...new Set(page.items.map((p) => p.ticker))];
      const bars = await r.prices.barsOfTickers(tickers, { to: '9999-12-31' });
      const recommendations = new Map((await r.recommendations.current(tickers)).map((x) => [x.ticker, x]));
      const items = [];
      for (const pair of page.items) {
        const series = BarSeries.from(bars.get(pair.ticker) ?? []);
        const own = trades.filter((t) => t.ticker === pair.ticker && t.strategy === pair.strategy);
        const recommendation = recommendations.get(pair.ticker) ?? null;
        let plan: LabelPlan;
        try {
          plan = planForLabel({ label: pair.strategy, configured: configuredPlans(ctx, pair.ticker), recommendation });
        } catch {
          continue;
        }
        const outcomes: Array<SignalOutcome & { date: IsoDate }> = own.map((t) => {
          const i = series.indexOnOrAfter(t.date);
          return { date: t.date, signal: t.signal as 'BUY' | 'SELL', forward: forwardReturns(series, series.dates[i] === t.date ? i : -1) };
        });
        const recView = pair.strategy.startsWith(RECOMMENDED_LABEL_PREFIX) && recommendation ? recommendationView(recommendation) : null;
        items.push({
          ticker: pair.ticker,
          strategy: planView(plan),
          firstSent: own[0]?.date ?? '',
          lastSent: own[own.length - 1]?.date ?? '',
          buys: own.filter((t) => t.signal === 'BUY').length,
          sells: own.filter((t) => t.signal === 'SELL').length,
          actual: hitRates(outcomes),
          promised: backtestPromise({ bars: series, strategy: plan.strategy, params: plan.params, before: own[0]?.date ?? '9999-12-31' }),
          recommendation: recView ? { asOf: recView.asOf, outOfSample: recView.outOfSample, baseline: recView.baseline } : null,
          recent: outcomes.slice(-20).reverse().map((o) => ({ date: o.date, signal: o.signal, forward: [...o.forward] })),
        });
      }
      return { items, nextCursor: page.nextCursor };
    },
  );
}
