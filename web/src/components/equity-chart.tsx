import { createChart, LineSeries, type Time } from 'lightweight-charts';
import { CHART_OPTIONS } from './price-chart';
import { useEffect, useRef } from 'preact/hooks';

export interface EquityLine {
  label: string;
  color: string;
  points: ReadonlyArray<{ time: string; value: number }>;
  /** Dashed (a baseline such as buy-and-hold). */
  dashed?: boolean;
}

/** Several equity curves on one lightweight-charts line chart (compare page), with a legend. */
export function EquityChart({
  lines,
  label,
  height = 320,
  unit = '',
}: {
  lines: readonly EquityLine[];
  label: string;
  height?: number;
  unit?: string;
}) {
  const container = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = container.current;
    if (!el) return;
    const chart = createChart(el, {
      ...CHART_OPTIONS,
      localization: { priceFormatter: (v: number) => `${v.toFixed(1)}${unit}` },
    });
    for (const l of lines) {
      const s = chart.addSeries(LineSeries, {
        color: l.color,
        lineWidth: 2,
        lineStyle: l.dashed ? 2 : 0,
        title: l.label,
        priceLineVisible: false,
      });
      s.setData(l.points.map((p) => ({ time: p.time as Time, value: p.value })));
    }
    chart.timeScale().fitContent();
    return () => chart.remove();
  }, [lines, unit]);
  return (
    <figure class="chart">
      <div
        ref={container}
        class="chart-canvas"
        style={{ height: `${height}px` }}
        role="img"
        aria-label={label}
        data-testid="equity-chart"
        data-lines={lines.length}
      />
      <figcaption class="legend">
        {lines.map((l) => (
          <span key={l.label}>
            <i style={{ background: l.color }} /> {l.label}
          </span>
        ))}
      </figcaption>
    </figure>
  );
}

export default EquityChart;
