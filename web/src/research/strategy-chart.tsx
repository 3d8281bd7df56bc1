import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, asApiError } from '../api/client';
import type { paths } from '../api/schema';
import { PriceChart, type ChartLine, type ChartMarker } from '../components/price-chart';

export type ChartData = paths['/tickers/{ticker}/chart']['get']['responses'][200]['content']['application/json'];

/** GET /tickers/{ticker}/chart for a window: the bars, the strategy's indicators and its markers. */
export function useChartData(
  ticker: string,
  query: { strategy?: string; params?: string; from?: string; to?: string },
) {
  const [data, setData] = useState<ChartData | null>(null);
  const [error, setError] = useState<string | null>(null);
  const key = JSON.stringify([ticker, query]);
  useEffect(() => {
    let live = true;
    setError(null);
    api.GET('/tickers/{ticker}/chart', { params: { path: { ticker }, query } }).then(
      ({ data: body, error: err }) => {
        if (!live) return;
        if (err || !body) setError(asApiError(err).message);
        else setData(body);
      },
      (e: unknown) => live && setError(asApiError(e).message),
    );
    return () => {
      live = false;
    };
  }, [key]);
  return { data, error };
}

/**
 * The price chart of a strategy: its overlays on the price (SMA, bands,
 * channels), its first pane below (RSI with its levels, MACD and its signal
 * line), every recorded BUY/SELL of the window as a marker (and, when asked,
 * the backtest's would-be BUY/SELL as circles apart). Nothing here knows
 * a strategy: the layout comes from the API's chart spec.
 */
export function StrategyChart({
  data,
  focusDate,
  label,
  withBacktest = false,
}: {
  data: ChartData;
  focusDate?: string;
  label: string;
  /** Also draw what the strategy would have signalled over the window (the backtest's trades), apart from the recorded ones. */
  withBacktest?: boolean;
}) {
  const { overlays, lowerPane, markers, bars } = useMemo(() => {
    const dates = data.bars.map((b) => b.date);
    const line = (key: string, text: string): ChartLine => ({
      label: text,
      points: dates.map((date, i) => ({ date, value: data.indicators[key]?.[i] ?? null })),
    });
    const pane = data.chart.panes[0];
    const lower: ChartLine[] = pane
      ? [
          ...pane.lines.filter((l) => l.kind !== 'histogram').map((l) => line(l.key, l.label)),
          ...(pane.levels ?? []).map((level) => ({
            label: `${pane.label.split('(')[0]} ${level}`,
            color: '#9aa3b2',
            points: dates.map((date) => ({ date, value: level })),
          })),
        ]
      : [];
    const marks: ChartMarker[] = data.markers.map((m) => ({
      date: m.date,
      side: m.signal,
      text: m.date === focusDate ? `${m.signal} ${m.date}` : m.signal,
    }));
    if (withBacktest)
      marks.push(
        ...data.wouldSignal.map(
          (m): ChartMarker => ({ date: m.date, side: m.signal, text: `would ${m.signal}`, kind: 'backtest' }),
        ),
      );
    return {
      overlays: data.chart.overlays.map((o) => line(o.key, o.label)),
      lowerPane: lower,
      markers: marks,
      bars: data.bars,
    };
  }, [data, focusDate, withBacktest]);
  return (
    <PriceChart
      bars={bars}
      overlays={overlays}
      lowerPane={lowerPane}
      markers={markers}
      focusDate={focusDate}
      label={label}
    />
  );
}
