import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { computeMetrics, type MetricsTrade } from '../../src/domain/backtest/metrics';
import { renderBacktestReportHtml, type ReportSummary } from '../../src/reports/backtest-report.renderer';
import { escapeHtml } from '../../src/domain/html';
import { renderEquityChartSvg, type EquityChartInput } from '../../src/reports/equity-chart.renderer';
import { METRIC_SECTIONS, formatMetrics, formatMetricValue } from '../../src/reports/metric-format';

const dates = [
  '2024-01-02',
  '2024-01-03',
  '2024-01-04',
  '2024-01-05',
  '2024-01-08',
  '2024-01-09',
  '2024-01-10',
  '2024-01-11',
];
const closes = [10, 10.5, 11, 10.2, 9.8, 10.4, 11.5, 12];
const buyAndHold = closes.map((c) => (1000 * c) / closes[0]);
// In a position from the 2024-01-03 close to the 2024-01-05 close, and again from 2024-01-09 to the end.
const equity = [1000, 1000, 1047.619, 971.429, 971.429, 971.429, 1074.176, 1120.879];
const inPosition = [false, true, true, false, false, true, true, true];

const trades: MetricsTrade[] = [
  {
    entryDate: '2024-01-03',
    exitDate: '2024-01-05',
    entryPrice: 10.5,
    exitPrice: 10.2,
    shares: 95.2381,
    pnl: -28.571,
    returnPct: -2.857,
    barsHeld: 2,
  },
  {
    entryDate: '2024-01-09',
    exitDate: null,
    entryPrice: 10.4,
    exitPrice: 12,
    shares: 93.4066,
    pnl: 149.45,
    returnPct: 15.385,
    barsHeld: 2,
  },
];

const chartInput: EquityChartInput = {
  dates,
  equity,
  buyAndHold,
  trades: [
    { date: '2024-01-03', side: 'BUY', price: 10.5 },
    { date: '2024-01-05', side: 'SELL', price: 10.2 },
    { date: '2024-01-09', side: 'BUY', price: 10.4 },
  ],
  title: 'AAPL <sma_cross> & "friends"',
};

const metrics = computeMetrics({ dates, equity, closes, inPosition, trades, buySignalIndexes: [1, 5] });

const summary: ReportSummary = {
  id: 'bt-42',
  ticker: 'AAPL',
  strategy: 'sma_cross',
  params: { fast: 50, slow: 200 },
  startDate: dates[0],
  endDate: dates[dates.length - 1],
  initialCapital: 1000,
  finalCapital: 1120.879,
  returnPct: 12.0879,
  orders: 2,
  roundTrips: metrics.roundTrips,
  metrics,
};

/** Every element named `name` anywhere in a parsed XML tree. */
function findAll(
  node: unknown,
  name: string,
  found: Array<Record<string, unknown>> = [],
): Array<Record<string, unknown>> {
  if (Array.isArray(node)) node.forEach((child) => findAll(child, name, found));
  else if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === name)
        (Array.isArray(value) ? value : [value]).forEach((v) => found.push(v as Record<string, unknown>));
      findAll(value, name, found);
    }
  }
  return found;
}

describe('renderEquityChartSvg', () => {
  let svg: string;
  beforeAll(async () => {
    svg = await renderEquityChartSvg(chartInput);
  });

  it('is well-formed XML with an <svg> root', () => {
    expect(XMLValidator.validate(svg)).toBe(true);
    const tree = new XMLParser({ ignoreAttributes: false }).parse(svg);
    expect(tree.svg['@_xmlns']).toBe('http://www.w3.org/2000/svg');
  });

  it('marks every trade with its side, date and price', () => {
    const tree = new XMLParser({ ignoreAttributes: false }).parse(svg);
    const labels = findAll(tree, 'path')
      .map((p) => p['@_aria-label'])
      .filter((l) => typeof l === 'string');
    expect(labels).toEqual(
      expect.arrayContaining(['BUY 2024-01-03 at 10.50', 'SELL 2024-01-05 at 10.20', 'BUY 2024-01-09 at 10.40']),
    );
    expect(labels.filter((l) => /^(BUY|SELL) \d{4}-\d{2}-\d{2} at/.test(String(l)))).toHaveLength(3);
  });

  it('has two lines, date and value axes, a legend and the escaped title', () => {
    const tree = new XMLParser({ ignoreAttributes: false }).parse(svg);
    const texts = findAll(tree, 'text').map((t) => (typeof t === 'object' ? t['#text'] : t));
    expect(texts).toEqual(
      expect.arrayContaining(['Strategy', 'Buy & hold', 'BUY', 'SELL', 'Date', 'Portfolio value', '2024-01-03']),
    );
    expect(texts).toContain('AAPL <sma_cross> & "friends"');
    expect(texts.some((t) => /^1,\d{3}$/.test(String(t)))).toBe(true); // a value tick such as 1,050
    expect(svg).not.toContain('<sma_cross>');
    const lines = findAll(tree, 'g').filter((g) => String(g['@_class']).includes('mark-line'));
    expect(lines).toHaveLength(2);
  });

  it('leaves out the trade legend without trades', async () => {
    const plain = await renderEquityChartSvg({ ...chartInput, trades: [] });
    expect(XMLValidator.validate(plain)).toBe(true);
    expect(plain).not.toMatch(/>BUY</);
  });

  it('rejects mismatched series and trades on unknown days', async () => {
    await expect(renderEquityChartSvg({ ...chartInput, buyAndHold: [1] })).rejects.toThrow(
      /8 dates, 8 equity values, 1 buy-and-hold/,
    );
    await expect(
      renderEquityChartSvg({ ...chartInput, trades: [{ date: '2024-01-06', side: 'BUY', price: 1 }] }),
    ).rejects.toThrow(/2024-01-06 is not a day/);
  });
});

describe('renderBacktestReportHtml', () => {
  let html: string;
  beforeAll(async () => {
    const chartSvg = await renderEquityChartSvg(chartInput);
    html = renderBacktestReportHtml({ title: 'Backtest: AAPL <sma_cross>', summary, trades, chartSvg });
  });

  it('labels every metric there is, once', () => {
    const keys = METRIC_SECTIONS.flatMap((s) => s.rows.map((r) => r.key));
    expect([...keys].sort()).toEqual([...Object.keys(metrics), 'orders'].sort());
  });

  it("contains each metric's label and formatted value on one row", () => {
    for (const row of formatMetrics(summary)) {
      expect(html).toContain(`<td class="label">${escapeHtml(row.label)}</td>`);
      expect(html).toContain(`<tr data-metric="${row.key}">`);
      expect(html).toMatch(
        new RegExp(
          `${escapeRegExp(escapeHtml(row.label))}</td><td class="num[^"]*">${escapeRegExp(escapeHtml(row.value))}</td>`,
        ),
      );
    }
    expect(html).toContain('>+12.09%<'); // total return 1120.879 / 1000 - 1
    expect(html).toContain('>+20.00%<'); // buy and hold 12 / 10 - 1
    expect(html).toContain('Exposure time</td><td class="num">62.50%<'); // 5 of 8 days in a position
    expect(html).toContain('Hit rate, 5 days</td><td class="num">100.00%<'); // day 1 -> day 6: 11.5 > 10.5; day 5 is too late
    expect(html).toContain('Max drawdown recovery</td><td class="num">2024-01-10<');
  });

  it('is self-contained: inline CSS and SVG, no scripts or external resources', () => {
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toContain('<style>');
    expect(html).toMatch(/<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(html).not.toMatch(/<script|<link|<img|src=|@import|url\(/i);
  });

  it('lists the trades, an open one marked as such', () => {
    expect(html).toContain('<td class="date">2024-01-03</td>');
    expect(html).toContain('<td class="date">open</td>');
    expect(html).toContain('95.2381');
    expect(html).toContain('-28.57');
    expect(html).toContain('+15.39%');
    expect(html).toContain('fast=50, slow=200');
  });

  it('escapes all text', () => {
    expect(html).toContain('<title>Backtest: AAPL &lt;sma_cross&gt;</title>');
    expect(html).not.toContain('<sma_cross>');
    const hostile = renderBacktestReportHtml({
      title: '<script>alert(1)</script>',
      summary: { ...summary, ticker: '"><img src=x>', params: { 'a<b': "c'd" } },
      trades: [],
      chartSvg: '<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"></svg>',
    });
    expect(hostile).not.toMatch(/<script|<img/);
    expect(hostile).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(hostile).toContain('a&lt;b=c&#39;d');
    expect(hostile).not.toContain('<?xml');
    expect(hostile).toContain('No trades.');
  });

  it('refuses a chart that is not SVG', () => {
    expect(() => renderBacktestReportHtml({ title: 't', summary, trades, chartSvg: '<div>no</div>' })).toThrow(
      /not an SVG/,
    );
  });
});

describe('formatMetricValue', () => {
  it('formats by unit, null as n/a', () => {
    expect(formatMetricValue('signedPct', 12.3456)).toBe('+12.35%');
    expect(formatMetricValue('signedPct', -0.5)).toBe('-0.50%');
    expect(formatMetricValue('pct', 1234.5)).toBe('1,234.50%');
    expect(formatMetricValue('ratio', 1.23456)).toBe('1.23');
    expect(formatMetricValue('money', -1234.567)).toBe('-1,234.57');
    expect(formatMetricValue('days', 1)).toBe('1 day');
    expect(formatMetricValue('days', 12.25)).toBe('12.3 days');
    expect(formatMetricValue('count', 7)).toBe('7');
    expect(formatMetricValue('date', '2024-01-02')).toBe('2024-01-02');
    expect(formatMetricValue('ratio', null)).toBe('n/a');
  });

  it('says a drawdown has not recovered rather than n/a', () => {
    const sinking = computeMetrics({
      dates: ['2024-01-02', '2024-01-03'],
      equity: [100, 90],
      closes: [1, 1],
      inPosition: [true, true],
      trades: [],
      buySignalIndexes: [],
    });
    expect(formatMetrics({ metrics: sinking, orders: 0 }).find((r) => r.label === 'Max drawdown recovery')?.value).toBe(
      'not recovered',
    );
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
