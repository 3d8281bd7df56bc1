import type { IsoDate } from '../dates';
import type { SignalRecord } from '../ports';
import { strategyOfLabel } from '../subscriptions';
import { escapeHtml } from '../html';

/** What a subscriber is told: their BUY and SELL signals of one run. */
export interface DigestInput {
  date: IsoDate;
  email: string;
  signals: readonly SignalRecord[];
  /** One-click unsubscribe link (signed token). */
  unsubscribeUrl: string;
  /** The subscriber's manage page (signed token): change tickers and strategies, pause, unsubscribe. */
  manageUrl?: string;
  /** Strategy recommendations that changed since the subscriber's last email, if any. */
  notes?: readonly string[];
  /** The "why did I get this" page of a signal (the web app's signal page); each signal links to it when given. */
  signalLink?: (signal: SignalRecord) => string;
}

export interface DigestContent {
  subject: string;
  text: string;
  html: string;
}

/** Only these are emailed; HOLD and WAIT are recorded, not sent. */
export const NOTIFIED_SIGNALS = ['BUY', 'SELL'] as const;

function formatNumber(value: number | string | null): string {
  if (value === null) return 'n/a';
  if (typeof value === 'string') return value;
  return Math.abs(value) >= 1 ? value.toFixed(2) : value.toPrecision(4);
}

/** `close 172.50, sma7 170.10, ...`: the numbers behind a signal. */
export function describeInputs(signal: SignalRecord): string {
  return Object.entries({ close: signal.close, ...signal.inputs })
    .map(([k, v]) => `${k} ${formatNumber(v)}`)
    .join(', ');
}

/** `sma_cross`, or `sma_cross (recommended)` for a signal of a ticker's recommended strategy (label `recommended:sma_cross`). */
export function strategyDisplayName(label: string): string {
  const { strategy, recommended } = strategyOfLabel(label);
  return recommended ? `${strategy} (recommended)` : strategy;
}

/**
 * Subject: `BUY AAPL (sma_cross) on 2010-11-29` for one signal (on its own
 * date; the strategy's name, also when it runs as the recommendation), else
 * `3 signals on 2010-11-29` (the run's date).
 */
export function digestSubject(date: IsoDate, signals: readonly SignalRecord[]): string {
  if (signals.length === 1) {
    const [s] = signals;
    return `${s.signal} ${s.ticker} (${strategyOfLabel(s.strategy).strategy}) on ${s.date}`;
  }
  return `${signals.length} signals on ${date}`;
}

/** Heading of the signals of days the daily job missed and caught up in this run. */
export const MISSED_DAYS_HEADING = 'Missed while the daily job was not running (caught up in this run):';

/**
 * The email for one subscriber and run: plain text and HTML with the same
 * content. Signals of the run's date come first; signals of earlier days
 * (missed days the run caught up, never emailed before) follow under
 * {@link MISSED_DAYS_HEADING}, oldest first.
 */
export function composeDigest(input: DigestInput): DigestContent {
  const byDateTickerStrategy = (a: SignalRecord, b: SignalRecord) =>
    a.date.localeCompare(b.date) || a.ticker.localeCompare(b.ticker) || a.strategy.localeCompare(b.strategy);
  const current = input.signals.filter((s) => s.date >= input.date).sort(byDateTickerStrategy);
  const missed = input.signals.filter((s) => s.date < input.date).sort(byDateTickerStrategy);
  const subject = digestSubject(input.date, [...current, ...missed]);
  const line = (s: SignalRecord) =>
    `- now is a good time to ${s.signal} ${s.ticker} on ${s.date} according to ${strategyDisplayName(s.strategy)} (v${s.strategyVersion}): ${describeInputs(s)}`;
  const missedLine = (s: SignalRecord) =>
    `- ${s.signal} ${s.ticker} on ${s.date} according to ${strategyDisplayName(s.strategy)} (v${s.strategyVersion}): ${describeInputs(s)}`;
  const notes = input.notes ?? [];
  const why = input.signalLink;
  const withWhy = (format: (s: SignalRecord) => string) => (s: SignalRecord) =>
    why ? `${format(s)}\n  Why: ${why(s)}` : format(s);
  const text = [
    `Signals for ${input.date}:`,
    '',
    ...(current.length ? current.map(withWhy(line)) : ['- none on this day']),
    ...(missed.length ? ['', MISSED_DAYS_HEADING, ...missed.map(withWhy(missedLine))] : []),
    ...(notes.length ? ['', ...notes] : []),
    '',
    'These are signals from automated strategies, not advice. No order is ever placed for you.',
    ...(input.manageUrl ? [`Manage your subscriptions: ${input.manageUrl}`] : []),
    `Unsubscribe: ${input.unsubscribeUrl}`,
  ].join('\n');
  const table = (signals: readonly SignalRecord[]) => {
    const rows = signals
      .map(
        (s) =>
          `<tr><td style="font-weight:bold;color:${s.signal === 'BUY' ? '#137333' : '#b3261e'}">${s.signal}</td>` +
          `<td>${escapeHtml(s.ticker)}</td><td>${escapeHtml(strategyDisplayName(s.strategy))} v${s.strategyVersion}</td><td>${s.date}</td>` +
          `<td style="font-family:monospace">${escapeHtml(describeInputs(s))}</td>` +
          (why ? `<td><a href="${escapeHtml(why(s))}">Why?</a></td>` : '') +
          '</tr>',
      )
      .join('');
    return `<table cellpadding="6" style="border-collapse:collapse"><thead><tr><th align="left">Signal</th><th align="left">Ticker</th><th align="left">Strategy</th><th align="left">Date</th><th align="left">Numbers behind it</th>${why ? '<th align="left">Chart</th>' : ''}</tr></thead>
<tbody>${rows}</tbody></table>`;
  };
  const html = `<!doctype html><html><body style="font-family:sans-serif">
<h2>${escapeHtml(subject)}</h2>
${current.length ? table(current) : '<p>No signal on this day.</p>'}
${missed.length ? `<h3>${escapeHtml(MISSED_DAYS_HEADING)}</h3>\n${table(missed)}` : ''}
${notes.map((n) => `<p>${escapeHtml(n)}</p>`).join('')}
<p style="color:#666;font-size:12px">Signals from automated strategies, not advice. No order is ever placed for you.<br>
${input.manageUrl ? `<a href="${escapeHtml(input.manageUrl)}">Manage your subscriptions</a> · ` : ''}<a href="${escapeHtml(input.unsubscribeUrl)}">Unsubscribe</a></p>
</body></html>`;
  return { subject, text, html };
}

/** A change of a ticker's recommended strategy (null strategy: nothing recommended), for {@link recommendationChangeNote}. */
export interface RecommendationChangeInput {
  ticker: string;
  strategy: string | null;
  params: Readonly<Record<string, number>> | null;
  reason: string | null;
  previousStrategy: string | null;
  previousParams: Readonly<Record<string, number>> | null;
}

const describeStrategy = (strategy: string | null, params: Readonly<Record<string, number>> | null) =>
  strategy === null
    ? 'none'
    : `${strategy}${
        params && Object.keys(params).length
          ? ` (${Object.entries(params)
              .map(([k, v]) => `${k}=${v}`)
              .join(', ')})`
          : ''
      }`;

/** The digest note telling a `recommended` subscriber that the strategy they follow for a ticker changed. */
export function recommendationChangeNote(change: RecommendationChangeInput): string {
  const was =
    change.previousStrategy === null ? '' : `, was ${describeStrategy(change.previousStrategy, change.previousParams)}`;
  if (change.strategy === null) {
    return `Recommendation for ${change.ticker} changed: no strategy is recommended now${was} (${change.reason ?? 'no reason given'}); your "recommended" subscription sends nothing for ${change.ticker} until one is.`;
  }
  return `Recommendation for ${change.ticker} changed: now ${describeStrategy(change.strategy, change.params)}${was}; your "recommended" subscription follows it.`;
}
