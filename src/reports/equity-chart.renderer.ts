import * as vega from 'vega';
import type { IsoDate } from '../domain/dates';

/** A trade to mark on the chart, at the strategy's equity on that day. */
export interface ChartTrade {
  date: IsoDate;
  side: 'BUY' | 'SELL';
  /** The fill price; kept for callers' convenience, the marker sits on the equity line. */
  price: number;
}

/** What {@link renderEquityChartSvg} draws; `dates`, `equity` and `buyAndHold` have the same length. */
export interface EquityChartInput {
  dates: IsoDate[];
  /** The strategy's portfolio value at each close. */
  equity: number[];
  /** The value of the same starting capital held in the ticker throughout (capital x close / first close). */
  buyAndHold: number[];
  trades: ChartTrade[];
  title: string;
}

const STRATEGY = 'Strategy';
const BUY_AND_HOLD = 'Buy & hold';
const WIDTH = 900;
const HEIGHT = 420;

/**
 * Render the equity curve against buy-and-hold as a standalone SVG document:
 * a UTC date axis, a value axis, BUY (green triangle up) and SELL (red
 * triangle down) markers on the equity line, and a legend. Uses Vega's
 * headless SVG renderer (no browser, no canvas). Throws when the series
 * differ in length or a trade falls on a day that is not in `dates`.
 */
export async function renderEquityChartSvg(input: EquityChartInput): Promise<string> {
  const view = new vega.View(vega.parse(equityChartSpec(input)), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** The Vega specification of the chart, with the data inline (exported for inspection in tests). */
export function equityChartSpec(input: EquityChartInput): vega.Spec {
  const { dates, equity, buyAndHold, trades, title } = input;
  if (equity.length !== dates.length || buyAndHold.length !== dates.length) {
    throw new Error(
      `equity chart: ${dates.length} dates, ${equity.length} equity values, ${buyAndHold.length} buy-and-hold values`,
    );
  }
  const dayIndex = new Map(dates.map((date, i) => [date, i]));
  const time = (date: IsoDate): number => Date.parse(`${date}T00:00:00Z`);
  // Buy-and-hold first, so the strategy's line and its markers are drawn on top.
  const lines = dates.flatMap((date, i) => [
    { time: time(date), series: BUY_AND_HOLD, value: buyAndHold[i] },
    { time: time(date), series: STRATEGY, value: equity[i] },
  ]);
  const markers = trades.map((trade) => {
    const i = dayIndex.get(trade.date);
    if (i === undefined) throw new Error(`equity chart: trade on ${trade.date} is not a day of the series`);
    return { time: time(trade.date), side: trade.side, value: equity[i], price: trade.price };
  });

  return {
    $schema: 'https://vega.github.io/schema/vega/v5.json',
    width: WIDTH,
    height: HEIGHT,
    padding: 16,
    autosize: { type: 'pad' },
    background: '#ffffff',
    title: { text: title, anchor: 'start', fontSize: 16, offset: 12 },
    config: {
      axis: { labelFontSize: 11, titleFontSize: 12, labelColor: '#333', titleColor: '#333' },
      legend: { labelFontSize: 12 },
    },
    data: [
      { name: 'lines', values: lines },
      { name: 'markers', values: markers },
    ],
    scales: [
      { name: 'x', type: 'utc', range: 'width', domain: { data: 'lines', field: 'time' } },
      {
        name: 'y',
        type: 'linear',
        range: 'height',
        nice: true,
        zero: false,
        domain: { data: 'lines', field: 'value' },
      },
      { name: 'color', type: 'ordinal', domain: [STRATEGY, BUY_AND_HOLD], range: ['#1f6feb', '#9aa4ae'] },
      { name: 'shape', type: 'ordinal', domain: ['BUY', 'SELL'], range: ['triangle-up', 'triangle-down'] },
      { name: 'sideColor', type: 'ordinal', domain: ['BUY', 'SELL'], range: ['#1a7f37', '#cf222e'] },
    ],
    axes: [
      {
        orient: 'bottom',
        scale: 'x',
        format: '%Y-%m-%d',
        formatType: 'utc',
        tickCount: 8,
        labelOverlap: true,
        grid: false,
        title: 'Date',
      },
      { orient: 'left', scale: 'y', format: ',.0f', grid: true, gridOpacity: 0.35, title: 'Portfolio value' },
    ],
    legends: [
      {
        stroke: 'color',
        orient: 'top-left',
        values: [STRATEGY, BUY_AND_HOLD],
        symbolType: 'stroke',
        symbolStrokeWidth: 3,
        fillColor: '#ffffffcc',
        padding: 6,
      },
      ...(markers.length > 0
        ? [{ shape: 'shape', fill: 'sideColor', orient: 'top-left' as const, fillColor: '#ffffffcc', padding: 6 }]
        : []),
    ],
    marks: [
      {
        type: 'group',
        from: { facet: { name: 'series', data: 'lines', groupby: 'series' } },
        marks: [
          {
            type: 'line',
            from: { data: 'series' },
            encode: {
              enter: {
                x: { scale: 'x', field: 'time' },
                y: { scale: 'y', field: 'value' },
                stroke: { scale: 'color', field: 'series' },
                strokeWidth: { value: 1.6 },
              },
            },
          },
        ],
      },
      {
        type: 'symbol',
        name: 'trades',
        from: { data: 'markers' },
        encode: {
          enter: {
            x: { scale: 'x', field: 'time' },
            y: { scale: 'y', field: 'value' },
            shape: { scale: 'shape', field: 'side' },
            fill: { scale: 'sideColor', field: 'side' },
            stroke: { value: '#ffffff' },
            strokeWidth: { value: 0.8 },
            size: { value: 90 },
            // Names the side in the SVG so that readers and tests can find each marker.
            description: {
              signal: "datum.side + ' ' + utcFormat(datum.time, '%Y-%m-%d') + ' at ' + format(datum.price, ',.2f')",
            },
          },
        },
      },
    ],
  };
}
