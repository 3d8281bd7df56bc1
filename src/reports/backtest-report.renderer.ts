import type { BacktestSummary } from '../domain/backtest/backtest-record';
import type { MetricsTrade } from '../domain/backtest/metrics';
import {
  backtestHeadline,
  formatMetrics,
  formatMetricValue,
  formatMoney,
  type MetricsTableInput,
} from './metric-format';
import { escapeHtml } from '../domain/html';

/** What the report shows of the one backtest summary (the id when the run has one). */
export type ReportSummary = Pick<
  BacktestSummary,
  | 'ticker'
  | 'strategy'
  | 'startDate'
  | 'endDate'
  | 'initialCapital'
  | 'finalCapital'
  | 'returnPct'
  | 'orders'
  | 'roundTrips'
  | 'metrics'
> & { id?: string; params: Readonly<Record<string, unknown>> };

/** What {@link renderBacktestReportHtml} puts on the page. */
export interface BacktestReportInput {
  title: string;
  /** The one summary: the headline and the metrics table both read it. */
  summary: ReportSummary;
  /** Round trips, in order; an open one has `exitDate: null`. */
  trades: MetricsTrade[];
  /** The chart from `renderEquityChartSvg`, inlined as is. */
  chartSvg: string;
}

/**
 * Render a self-contained HTML page for one backtest: summary, the inline SVG
 * chart, the metrics table (labels, formatted values, one-line definitions)
 * and the trades table. No external resources: inline CSS, no scripts. All
 * text is HTML-escaped; `chartSvg` must be an SVG document (an XML prolog is
 * dropped) and is inserted as markup.
 */
export function renderBacktestReportHtml(input: BacktestReportInput): string {
  const { title, summary, trades } = input;
  const chart = inlineSvg(input.chartSvg);
  const params = Object.entries(summary.params)
    .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join(', ');
  const headline = backtestHeadline(summary);

  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<h1>${escapeHtml(title)}</h1>
<p class="meta">${escapeHtml(summary.ticker)} · ${escapeHtml(summary.strategy)}${params ? ` (${escapeHtml(params)})` : ''} · ${escapeHtml(summary.startDate)} to ${escapeHtml(summary.endDate)} · capital ${escapeHtml(formatMoney(summary.initialCapital))} → ${escapeHtml(formatMoney(summary.finalCapital))}${summary.id ? ` · run ${escapeHtml(summary.id)}` : ''}</p>
<section class="cards">
${headline.map(([label, value]) => `<div class="card" data-headline="${escapeHtml(label)}"><div class="label">${escapeHtml(label)}</div><div class="value${tone(value)}">${escapeHtml(value)}</div></div>`).join('\n')}
</section>
<section class="chart">
${chart}
</section>
<h2>Metrics</h2>
<table class="metrics">
<tbody>
${metricRowsHtml(summary)}
</tbody>
</table>
<p class="note">Annualised over 252 trading days; risk-free rate as configured (0 by default). Trade statistics cover closed trades; n/a means undefined for this run.</p>
<h2>Trades</h2>
${tradesTableHtml(trades)}
</main>
</body>
</html>
`;
}

function inlineSvg(svg: string): string {
  const body = svg.replace(/^\s*<\?xml[^>]*\?>\s*/, '').trim();
  if (!body.startsWith('<svg')) throw new Error('backtest report: chartSvg is not an SVG document');
  return body;
}

function metricRowsHtml(summary: MetricsTableInput): string {
  let section = '';
  return formatMetrics(summary)
    .map((row) => {
      const heading =
        row.section !== section ? `<tr class="section"><th colspan="3">${escapeHtml(row.section)}</th></tr>\n` : '';
      section = row.section;
      return `${heading}<tr data-metric="${escapeHtml(row.key)}"><td class="label">${escapeHtml(row.label)}</td><td class="num${tone(row.value)}">${escapeHtml(row.value)}</td><td class="hint">${escapeHtml(row.hint)}</td></tr>`;
    })
    .join('\n');
}

function tradesTableHtml(trades: readonly MetricsTrade[]): string {
  if (trades.length === 0) return '<p class="note">No trades.</p>';
  const shares = new Intl.NumberFormat('en-US', { maximumFractionDigits: 4 });
  const rows = trades.map((t, i) => {
    const cells = [
      String(i + 1),
      t.entryDate,
      formatMoney(t.entryPrice),
      t.exitDate ?? 'open',
      formatMoney(t.exitPrice),
      shares.format(t.shares),
      formatMoney(t.pnl),
      formatMetricValue('signedPct', t.returnPct),
      String(t.barsHeld),
    ];
    const toneOfPnl = t.pnl > 0 ? ' up' : t.pnl < 0 ? ' down' : '';
    return `<tr${t.exitDate === null ? ' class="open"' : ''}>${cells
      .map(
        (c, col) =>
          `<td class="${col === 1 || col === 3 ? 'date' : 'num'}${col >= 6 && col <= 7 ? toneOfPnl : ''}">${escapeHtml(c)}</td>`,
      )
      .join('')}</tr>`;
  });
  const head = ['#', 'Entry', 'Entry price', 'Exit', 'Exit price', 'Shares', 'P&L', 'Return', 'Days held'];
  return `<table class="trades">
<thead><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>`;
}

/** A colour class for signed values: `+1.00%` reads green, `-1.00%` red. */
function tone(formatted: string): string {
  if (formatted.startsWith('+')) return ' up';
  if (formatted.startsWith('-')) return ' down';
  return '';
}

const STYLE = `
:root { color-scheme: light; }
body { margin: 0; background: #f6f8fa; color: #1f2328; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
main { max-width: 1080px; margin: 0 auto; padding: 24px 28px 40px; background: #fff; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid #d0d7de; padding-bottom: 4px; }
.meta { color: #59636e; margin: 0 0 16px; }
.cards { display: flex; gap: 12px; flex-wrap: wrap; margin-bottom: 16px; }
.card { flex: 1 1 140px; border: 1px solid #d0d7de; border-radius: 6px; padding: 8px 12px; }
.card .label { color: #59636e; font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
.card .value { font-size: 20px; font-weight: 600; font-variant-numeric: tabular-nums; }
.chart svg { width: 100%; height: auto; display: block; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
td, th { padding: 4px 10px; border-bottom: 1px solid #eaeef2; text-align: left; }
th { background: #f6f8fa; font-weight: 600; }
tr.section th { background: #eef2f6; font-size: 13px; }
td.num, .trades th { text-align: right; }
.trades th:nth-child(2), .trades th:nth-child(4) { text-align: left; }
td.hint { color: #59636e; font-size: 12px; }
.metrics td.label { width: 28%; }
.metrics td.num { width: 16%; }
.up { color: #1a7f37; }
.down { color: #cf222e; }
tr.open td { font-style: italic; background: #fff8c5; }
.note { color: #59636e; font-size: 12px; }
`;
