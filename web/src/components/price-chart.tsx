import {
  CandlestickSeries,
  ColorType,
  createChart,
  createSeriesMarkers,
  LineSeries,
  type IChartApi,
  type SeriesMarker,
  type Time,
} from 'lightweight-charts';
import { useEffect, useRef } from 'preact/hooks';

/** The look every chart of the app shares (white, light grid, no borders, sized by its container). */
export const CHART_OPTIONS = {
  autoSize: true,
  layout: { background: { type: ColorType.Solid, color: '#ffffff' }, textColor: '#333', attributionLogo: false },
  grid: { vertLines: { color: '#eee' }, horzLines: { color: '#eee' } },
  rightPriceScale: { borderVisible: false },
  timeScale: { borderVisible: false },
} as const;

/** One day's prices (close alone is enough for a line chart). */
export interface ChartBar {
  /** YYYY-MM-DD */
  date: string;
  open?: number | null;
  high?: number | null;
  low?: number | null;
  close: number;
}

/** A line drawn over the prices (SMA/EMA), or in the second pane. */
export interface ChartLine {
  label: string;
  color?: string;
  points: ReadonlyArray<{ date: string; value: number | null }>;
}

/** A BUY/SELL (or any) marker on a day. */
export interface ChartMarker {
  date: string;
  side: 'BUY' | 'SELL';
  /** Shown beside the arrow; default the side. */
  text?: string;
  /**
   * `recorded` (default): a signal that was recorded and sent, an arrow;
   * `backtest`: what the strategy would have signalled (a hypothesis), a circle in other colours.
   */
  kind?: 'recorded' | 'backtest';
}

export interface PriceChartProps {
  bars: readonly ChartBar[];
  /** `candles` needs open/high/low; default candles when every bar has them. */
  kind?: 'candles' | 'line';
  overlays?: readonly ChartLine[];
  markers?: readonly ChartMarker[];
  /** Lines in a second pane under the prices (equity curves: strategy vs buy-and-hold). */
  lowerPane?: readonly ChartLine[];
  /** Day to centre and highlight (a signal's day). */
  focusDate?: string;
  height?: number;
  /** Accessible description of what the chart shows. */
  label: string;
}

const PALETTE = ['#2962ff', '#ff6d00', '#7b1fa2', '#00897b', '#c2185b', '#5d4037'];
const BUY = '#17702f';
const SELL = '#c62828';
/** The backtest's would-be BUY and SELL: apart from the recorded ones by shape (circles) and colour. */
const WOULD_BUY = '#1565c0';
const WOULD_SELL = '#e65100';

/** The colour of the i-th line of the chart (overlays first, then the lower pane): one rule for lines and legend. */
const colourOf = (l: ChartLine, i: number) => l.color ?? PALETTE[i % PALETTE.length];

const lineData = (l: ChartLine) =>
  l.points
    .filter((p) => p.value !== null && Number.isFinite(p.value))
    .map((p) => ({ time: p.date as Time, value: p.value as number }));

/**
 * A price chart on lightweight-charts v5: candlesticks or a close line,
 * overlays (SMA/EMA lines), BUY/SELL markers (createSeriesMarkers), and an
 * optional second pane for equity curves. Resizes with its container. Use it
 * for every chart in the app so that they all look and behave alike.
 */
export function PriceChart({
  bars,
  kind,
  overlays = [],
  markers = [],
  lowerPane = [],
  focusDate,
  height = 360,
  label,
}: PriceChartProps) {
  const container = useRef<HTMLDivElement>(null);
  const recorded = markers.filter((m) => m.kind !== 'backtest');
  const hypothetical = recorded.length < markers.length;
  const chartRef = useRef<IChartApi | null>(null);

  useEffect(() => {
    const el = container.current;
    if (!el) return;
    const chart = createChart(el, CHART_OPTIONS);
    chartRef.current = chart;

    const candles =
      (kind ?? (bars.every((b) => b.open != null && b.high != null && b.low != null) ? 'candles' : 'line')) ===
      'candles';
    const main = candles
      ? chart.addSeries(CandlestickSeries, {
          upColor: BUY,
          downColor: SELL,
          borderVisible: false,
          wickUpColor: BUY,
          wickDownColor: SELL,
        })
      : chart.addSeries(LineSeries, { color: '#222', lineWidth: 2 });
    if (candles) {
      (main as ReturnType<typeof chart.addSeries<'Candlestick'>>).setData(
        bars.map((b) => ({ time: b.date as Time, open: b.open!, high: b.high!, low: b.low!, close: b.close })),
      );
    } else {
      (main as ReturnType<typeof chart.addSeries<'Line'>>).setData(
        bars.map((b) => ({ time: b.date as Time, value: b.close })),
      );
    }

    overlays.forEach((l, i) => {
      const s = chart.addSeries(LineSeries, {
        color: colourOf(l, i),
        lineWidth: 1,
        title: l.label,
        priceLineVisible: false,
        lastValueVisible: false,
      });
      s.setData(lineData(l));
    });

    const known = new Set(bars.map((b) => b.date));
    const seriesMarkers: SeriesMarker<Time>[] = markers
      .filter((m) => known.has(m.date))
      .sort((a, b) => a.date.localeCompare(b.date))
      .map((m) => {
        const would = m.kind === 'backtest';
        return {
          time: m.date as Time,
          position: m.side === 'BUY' ? 'belowBar' : 'aboveBar',
          shape: would ? 'circle' : m.side === 'BUY' ? 'arrowUp' : 'arrowDown',
          color: would ? (m.side === 'BUY' ? WOULD_BUY : WOULD_SELL) : m.side === 'BUY' ? BUY : SELL,
          text: m.text ?? m.side,
          size: m.date === focusDate ? 2 : 1,
        };
      });
    createSeriesMarkers(main, seriesMarkers);

    lowerPane.forEach((l, i) => {
      const s = chart.addSeries(
        LineSeries,
        { color: colourOf(l, overlays.length + i), lineWidth: 2, title: l.label, priceLineVisible: false },
        1,
      );
      s.setData(lineData(l));
    });
    if (lowerPane.length > 0) chart.panes()[1]?.setStretchFactor(0.6);

    if (focusDate && bars.length > 0) {
      const i = bars.findIndex((b) => b.date >= focusDate);
      if (i >= 0)
        chart.timeScale().setVisibleLogicalRange({ from: Math.max(0, i - 60), to: Math.min(bars.length - 1, i + 40) });
    } else {
      chart.timeScale().fitContent();
    }
    return () => {
      chart.remove();
      chartRef.current = null;
    };
  }, [bars, kind, overlays, markers, lowerPane, focusDate]);

  return (
    <figure class="chart">
      <div
        ref={container}
        class="chart-canvas"
        style={{ height: `${height + (lowerPane.length ? 160 : 0)}px` }}
        role="img"
        aria-label={label}
        data-testid="price-chart"
        data-markers={recorded.length}
        data-backtest-markers={markers.length - recorded.length}
      />
      {(overlays.length > 0 || lowerPane.length > 0 || hypothetical) && (
        <figcaption class="legend" data-testid="chart-legend">
          {[...overlays, ...lowerPane].map((l, i) => (
            <span key={l.label}>
              <i style={{ background: colourOf(l, i) }} /> {l.label}
            </span>
          ))}
          {recorded.length > 0 && <span>▲ BUY ▼ SELL{hypothetical ? ' (signals recorded and sent)' : ''}</span>}
          {hypothetical && (
            <span>
              <i class="dot" style={{ background: WOULD_BUY }} /> would BUY{' '}
              <i class="dot" style={{ background: WOULD_SELL }} /> would SELL (backtest over the window, never sent)
            </span>
          )}
        </figcaption>
      )}
    </figure>
  );
}

export default PriceChart;
