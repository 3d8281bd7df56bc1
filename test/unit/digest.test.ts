import { composeDigest, digestSubject, MISSED_DAYS_HEADING } from '../../src/domain/notifications/digest';
import type { SignalRecord } from '../../src/domain/ports';

const signal = (date: string, ticker: string, strategy: string, s: SignalRecord['signal']): SignalRecord => ({
  date,
  ticker,
  strategy,
  strategyVersion: 1,
  signal: s,
  close: 101.5,
  inputs: { sma7: 100.25, sma21: 99.5 },
});
const url = 'http://127.0.0.1:8000/unsubscribe?token=t<&>';

describe('composeDigest', () => {
  it('names one signal in the subject with its own date, several by count and the run date', () => {
    expect(digestSubject('2010-11-30', [signal('2010-11-30', 'AAPL', 'sma_cross', 'BUY')])).toBe(
      'BUY AAPL (sma_cross) on 2010-11-30',
    );
    expect(digestSubject('2010-11-30', [signal('2010-11-29', 'AAPL', 'sma_cross', 'BUY')])).toBe(
      'BUY AAPL (sma_cross) on 2010-11-29',
    );
    expect(
      digestSubject('2010-11-30', [
        signal('2010-11-30', 'AAPL', 'sma_cross', 'BUY'),
        signal('2010-11-30', 'MSFT', 'macd_cross', 'SELL'),
      ]),
    ).toBe('2 signals on 2010-11-30');
  });

  it('lists the run date first, then missed days oldest first under their own heading, in text and HTML', () => {
    const digest = composeDigest({
      date: '2010-11-30',
      email: 'ann@example.com',
      signals: [
        signal('2010-11-29', 'MSFT', 'sma_cross', 'SELL'),
        signal('2010-11-30', 'AAPL', 'macd_cross', 'BUY'),
        signal('2010-11-26', 'AAPL', 'sma_cross', 'BUY'),
      ],
      unsubscribeUrl: url,
    });
    expect(digest.subject).toBe('3 signals on 2010-11-30');
    const lines = digest.text.split('\n');
    expect(lines.slice(0, 7)).toEqual([
      'Signals for 2010-11-30:',
      '',
      '- now is a good time to BUY AAPL on 2010-11-30 according to macd_cross (v1): close 101.50, sma7 100.25, sma21 99.50',
      '',
      MISSED_DAYS_HEADING,
      '- BUY AAPL on 2010-11-26 according to sma_cross (v1): close 101.50, sma7 100.25, sma21 99.50',
      '- SELL MSFT on 2010-11-29 according to sma_cross (v1): close 101.50, sma7 100.25, sma21 99.50',
    ]);
    expect(digest.text).toContain(`Unsubscribe: ${url}`);
    const [today, earlier] = digest.html.split(MISSED_DAYS_HEADING);
    expect(today).toContain('<td>2010-11-30</td>');
    expect(today).not.toContain('2010-11-29');
    expect(earlier.indexOf('2010-11-26')).toBeLessThan(earlier.indexOf('2010-11-29'));
    // The link is escaped in HTML.
    expect(digest.html).toContain('token=t&lt;&amp;&gt;');
  });

  it('says so when only missed days had signals, and has no missed section without them', () => {
    const onlyMissed = composeDigest({
      date: '2010-11-30',
      email: 'a@b.co',
      signals: [signal('2010-11-29', 'AAPL', 'sma_cross', 'BUY')],
      unsubscribeUrl: url,
    });
    expect(onlyMissed.text).toContain('- none on this day');
    expect(onlyMissed.html).toContain('No signal on this day.');
    const noneMissed = composeDigest({
      date: '2010-11-30',
      email: 'a@b.co',
      signals: [signal('2010-11-30', 'AAPL', 'sma_cross', 'BUY')],
      unsubscribeUrl: url,
    });
    expect(noneMissed.text).not.toContain(MISSED_DAYS_HEADING);
    expect(noneMissed.html).not.toContain(MISSED_DAYS_HEADING);
  });

  it('links every signal to its page in the web app when given a link builder, in text and HTML', () => {
    const link = (s: { ticker: string; strategy: string; date: string }) =>
      `http://x.test/app/signals/${s.ticker}/${encodeURIComponent(s.strategy)}/${s.date}`;
    const digest = composeDigest({
      date: '2010-11-30',
      email: 'a@b.co',
      unsubscribeUrl: url,
      signalLink: link,
      signals: [
        signal('2010-11-30', 'AAPL', 'recommended:sma_cross', 'BUY'),
        signal('2010-11-29', 'MSFT', 'sma_cross', 'SELL'),
      ],
    });
    expect(digest.text).toContain('Why: http://x.test/app/signals/AAPL/recommended%3Asma_cross/2010-11-30');
    expect(digest.text).toContain('Why: http://x.test/app/signals/MSFT/sma_cross/2010-11-29');
    expect(digest.html).toContain('<a href="http://x.test/app/signals/MSFT/sma_cross/2010-11-29">Why?</a>');
    const plain = composeDigest({
      date: '2010-11-30',
      email: 'a@b.co',
      unsubscribeUrl: url,
      signals: [signal('2010-11-30', 'AAPL', 'sma_cross', 'BUY')],
    });
    expect(plain.text).not.toContain('Why:');
  });
});
