import { simpleParser, type ParsedMail } from 'mailparser';
import MailComposer from 'nodemailer/lib/mail-composer';
import { buildPlainMime, type PlainMimeInput } from '../../src/adapters/email/plain-mime';
import { composeDigest } from '../../src/domain/notifications/digest';

// The direct MIME writer against nodemailer's composer: a reader sees the same message.
const date = new Date('2026-12-07T14:42:25Z');
const digest = composeDigest({
  date: '2018-02-07',
  email: 'ann@example.com',
  signals: [
    {
      date: '2018-02-07',
      ticker: 'AAPL',
      strategy: 'sma_cross',
      strategyVersion: 1,
      signal: 'BUY',
      close: 160.5,
      inputs: { sma_fast: 158.2, sma_slow: 157.9 },
    },
  ],
  unsubscribeUrl: `http://localhost:3000/api/unsubscribe?token=${'t'.repeat(140)}`,
  manageUrl: `http://localhost:3000/manage?token=${'m'.repeat(140)}`,
  notes: ['Recommendation for AAPL changed: now rsi (period=14) — été ✓', '.a line starting with a dot   '],
});
const base: PlainMimeInput = {
  from: 'Algo Signals <signals@localhost>',
  to: 'ann@example.com',
  ...digest,
  headers: {
    'List-Unsubscribe': `<http://localhost:3000/api/unsubscribe?token=${'u'.repeat(160)}>`,
    'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
  },
  messageId: '<daily.2018-02-07.s1@algo-signals>',
  date,
};

async function viaComposer(input: PlainMimeInput): Promise<ParsedMail> {
  const { date: when, ...mail } = input;
  return simpleParser(await new MailComposer({ ...mail, date: when }).compile().build());
}

/** What a reader of the message sees. */
const view = (m: ParsedMail) => ({
  from: m.from?.text,
  to: Array.isArray(m.to) ? m.to.map((t) => t.text) : m.to?.text,
  subject: m.subject,
  messageId: m.messageId,
  date: m.date?.toISOString(),
  text: m.text,
  html: m.html,
  unsubscribe: m.headers.get('list-unsubscribe'),
  unsubscribePost: m.headers.get('list-unsubscribe-post'),
});

describe('buildPlainMime', () => {
  it('writes the message a reader sees exactly as the composer writes it: headers, text and html (UTF-8, long lines, a leading dot)', async () => {
    const built = buildPlainMime(base);
    expect(built).toBeDefined();
    expect(built!.envelope).toEqual({ from: 'signals@localhost', to: ['ann@example.com'] });
    expect(view(await simpleParser(built!.raw))).toEqual(view(await viaComposer(base)));
  });

  it('keeps every line within 78 characters and ends lines with CRLF', () => {
    const raw = buildPlainMime(base)!.raw.toString();
    const lines = raw.split('\r\n');
    expect(raw.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
    // Headers fold at spaces only: a token longer than a line stays whole (RFC 5322 allows 998).
    const body = lines.slice(lines.indexOf(''));
    expect(body.every((l) => l.length <= 78)).toBe(true);
  });

  it('sends a bare sender address as it is', async () => {
    const input = { ...base, from: 'signals@localhost' };
    expect(view(await simpleParser(buildPlainMime(input)!.raw))).toEqual(view(await viaComposer(input)));
  });

  it.each([
    ['a subject that needs encoding', { subject: 'Signaux du jour — été' }],
    ['a sender name that needs quoting', { from: 'Algo, Signals <signals@localhost>' }],
    ['an internationalized domain', { to: 'ann@exämple.com' }],
    ['a line break in a header (injection)', { headers: { 'X-Note': 'a\r\nBcc: eve@example.com' } }],
    ['a header the builder writes itself', { headers: { 'Content-Type': 'text/plain' } }],
  ])('leaves %s to the composer (returns undefined)', (_what, change) => {
    expect(buildPlainMime({ ...base, ...change })).toBeUndefined();
  });
});
