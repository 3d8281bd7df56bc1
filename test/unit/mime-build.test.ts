import MailComposer from 'nodemailer/lib/mail-composer';
import { simpleParser } from 'mailparser';
import { buildMessage } from '../../src/adapters/email/nodemailer-mailer';
import { composeDigest } from '../../src/domain/notifications/digest';
import type { SignalRecord } from '../../src/domain/ports';

/** What the mailer hands MailComposer: the fields of an OutgoingEmail. */
interface Fields {
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  headers?: Record<string, string>;
}

const DATE = new Date('2018-02-07T22:00:00Z');

/** Both builds of one compiled tree: ours first, so that it cannot lean on anything `build()` leaves behind. */
async function bothBuilds(fields: Fields, id: string): Promise<{ ours: Buffer; library: Buffer }> {
  const root = new MailComposer({ ...fields, messageId: `<${id}@test>`, date: DATE }).compile();
  const ours = buildMessage(root);
  const library = await root.build();
  return { ours, library };
}

/** A small deterministic generator (mulberry32), so that a failure names its seed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Text made of what trips an encoder: `=`, dots, spaces and tabs before line breaks, CR, LF, long words, non-Latin letters. */
function awkwardText(next: () => number, length: number): string {
  const pieces = [
    ' ',
    '  ',
    '\t',
    '\n',
    '\r\n',
    '\r',
    '=',
    '.',
    '..\n',
    'a',
    'word ',
    'ü',
    'Ωμέγα',
    '漢字',
    '😀',
    '<b>&amp;</b>',
  ];
  let out = '';
  while (out.length < length) {
    out += next() < 0.05 ? 'x'.repeat(Math.floor(next() * 200)) : pieces[Math.floor(next() * pieces.length)];
  }
  return out;
}

const signal = (ticker: string, kind: 'BUY' | 'SELL'): SignalRecord => ({
  date: '2018-02-07',
  ticker,
  strategy: 'sma_cross',
  strategyVersion: 1,
  signal: kind,
  close: 171.58,
  inputs: { sma_fast: 170.2, sma_slow: 168.9 },
});

describe('buildMessage: the bytes of MailComposer’s build() without its streams', () => {
  it('a digest as the daily run sends it', async () => {
    const digest = composeDigest({
      date: '2018-02-07',
      email: 'ann@example.com',
      signals: [signal('AAPL', 'BUY'), signal('MSFT', 'SELL')],
      unsubscribeUrl: `https://signals.example.com/unsubscribe?token=${'t'.repeat(150)}`,
      manageUrl: `https://signals.example.com/manage?token=${'m'.repeat(150)}`,
      signalLink: (s) => `https://signals.example.com/app/signals/${s.ticker}/${s.date}/${s.strategy}`,
    });
    const { ours, library } = await bothBuilds(
      {
        from: 'Algo Signals <signals@example.com>',
        to: 'ann@example.com',
        ...digest,
        headers: {
          'List-Unsubscribe': '<https://signals.example.com/u>',
          'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
        },
      },
      'digest',
    );
    expect(ours.toString('latin1')).toBe(library.toString('latin1'));
    const parsed = await simpleParser(ours);
    expect(parsed.subject).toBe(digest.subject);
    expect(parsed.text?.trim()).toBe(digest.text.trim());
    expect(parsed.html).toBe(digest.html);
    expect(parsed.headerLines.map((h) => h.line)).toContain('List-Unsubscribe-Post: List-Unsubscribe=One-Click');
  });

  it('non-Latin names and subjects, base64 parts, a text without HTML, an empty one, a long one', async () => {
    const cases: Array<[string, Fields]> = [
      [
        'non-latin',
        {
          from: 'Jürgen Ωμέγα <j@example.com>',
          to: '漢字 <k@example.com>',
          subject: 'Kaufen 😀 '.repeat(12),
          text: '漢字'.repeat(300),
          html: '<p>Ωμέγα</p>'.repeat(50),
        },
      ],
      [
        'text-only',
        { from: 'a@example.com', to: 'b@example.com', subject: 'plain', text: 'one line\nand = another\n', html: '' },
      ],
      ['empty', { from: 'a@example.com', to: 'b@example.com', subject: '', text: '', html: '' }],
      // Past the encoder's slice size, so that slicing the input could show.
      [
        'long',
        {
          from: 'a@example.com',
          to: 'b@example.com',
          subject: 's',
          text: `${'lorem ipsum = dolor '.repeat(20_000)}\n`,
          html: `<p>${'é'.repeat(70_000)}</p>`,
        },
      ],
    ];
    for (const [id, fields] of cases) {
      const { ours, library } = await bothBuilds(fields, id);
      expect({ id, message: ours.toString('latin1') }).toEqual({ id, message: library.toString('latin1') });
    }
  });

  it('200 texts of awkward characters: the same encoding as build(), soft line breaks aside, and the same message read back', async () => {
    // The stream encoder holds back the whitespace that ends its input, so its last soft break can fall
    // a few characters off ours; with the soft breaks taken out, every byte is the same.
    const unfolded = (message: Buffer) => message.toString('latin1').replace(/=\r\n/g, '');
    for (let seed = 1; seed <= 200; seed++) {
      const next = random(seed);
      const fields: Fields = {
        from: 'Algo Signals <signals@example.com>',
        to: 'someone@example.com',
        subject: awkwardText(next, 20 + Math.floor(next() * 120)).replace(/[\r\n]/g, ' '),
        text: awkwardText(next, Math.floor(next() * 3000)),
        html: awkwardText(next, Math.floor(next() * 3000)),
      };
      const { ours, library } = await bothBuilds(fields, `seed-${seed}`);
      expect({ seed, message: unfolded(ours) }).toEqual({ seed, message: unfolded(library) });
      // No line longer than QP's 76 (a lone CR or LF breaks a line too, as nodemailer writes them), unless build()'s is.
      const longest = (m: Buffer) =>
        Math.max(
          ...m
            .toString('latin1')
            .split(/\r\n|\r|\n/)
            .map((line) => line.length),
        );
      expect({ seed, longest: longest(ours) }).toEqual({
        seed,
        longest: Math.min(longest(ours), Math.max(76, longest(library))),
      });
      const [a, b] = await Promise.all([simpleParser(ours), simpleParser(library)]);
      expect({ seed, subject: a.subject, text: a.text, html: a.html }).toEqual({
        seed,
        subject: b.subject,
        text: b.text,
        html: b.html,
      });
    }
  });

  it('refuses a tree with a content that is not a string rather than build it wrong', () => {
    const root = new MailComposer({ from: 'a@example.com', to: 'b@example.com', text: Buffer.from('bytes') }).compile();
    expect(() => buildMessage(root)).toThrow(/string contents only/);
  });
});
