import crypto from 'node:crypto';
import { foldLines } from 'nodemailer/lib/mime-funcs';
import { encode as encodeQuotedPrintable, wrap as wrapQuotedPrintable } from 'nodemailer/lib/qp';

/** A message as the mailer sends it: one text and one HTML part. */
export interface PlainMimeInput {
  /** `signals@localhost` or `Algo Signals <signals@localhost>`. */
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  headers: Readonly<Record<string, string>>;
  /** With its angle brackets: `<daily.2018-02-07.s42@algo-signals>`. */
  messageId: string;
  /** Default: now. */
  date?: Date;
}

/** The built message and the SMTP envelope to send it with. */
export interface PlainMime {
  raw: Buffer;
  envelope: { from: string; to: string[] };
}

/** Printable ASCII only: nothing to encode, no line break to inject. */
const PRINTABLE = /^[\x20-\x7e]*$/;
/** A bare address of printable ASCII, no quoting, no comments, no internationalized domain. */
const ADDRESS = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9.-]+$/;
/** `Name <address>` with a name that needs no quoting (atoms and spaces). */
const NAMED_ADDRESS = /^([A-Za-z0-9!#$%&'*+/=?^_`{|}~ -]+) <([^<>]+)>$/;
/** Headers this builder writes itself: a caller's header of these names goes to the composer instead. */
const OWN_HEADERS = new Set([
  'from',
  'to',
  'subject',
  'message-id',
  'date',
  'mime-version',
  'content-type',
  'content-transfer-encoding',
]);

function addressOf(value: string): { header: string; address: string } | undefined {
  if (ADDRESS.test(value)) return { header: value, address: value };
  const named = NAMED_ADDRESS.exec(value);
  if (named && ADDRESS.test(named[2])) return { header: `${named[1].trim()} <${named[2]}>`, address: named[2] };
  return undefined;
}

/** A body as a quoted-printable part: CRLF line ends, lines of at most 76 characters. */
function quotedPrintablePart(contentType: string, body: string): string {
  const encoded = wrapQuotedPrintable(encodeQuotedPrintable(Buffer.from(body.replace(/\r?\n/g, '\r\n'))), 76);
  return `Content-Type: ${contentType}; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n${encoded}`;
}

/** `Mon, 07 Dec 2026 14:42:25 +0000`, as nodemailer writes it. */
const dateHeader = (date: Date) => date.toUTCString().replace(/GMT/, '+0000');

/**
 * The MIME message of a plain email (a text and an HTML alternative) as one
 * buffer, written directly: the same headers and parts nodemailer's composer
 * writes for it (quoted-printable UTF-8 bodies, folded headers), without its
 * stream pipeline per message, which cost several times the rest of a send.
 * Only for what needs no encoding in headers: printable ASCII header values
 * and subject, bare or simply named ASCII addresses. Returns undefined for
 * anything else (a non-ASCII subject or name, an internationalized domain, a
 * header the builder writes itself), which the caller builds with the composer.
 */
export function buildPlainMime(input: PlainMimeInput): PlainMime | undefined {
  const from = addressOf(input.from);
  const to = addressOf(input.to);
  if (!from || !to || !PRINTABLE.test(input.subject) || !PRINTABLE.test(input.messageId)) return undefined;
  const extra = Object.entries(input.headers);
  if (
    extra.some(
      ([key, value]) => OWN_HEADERS.has(key.toLowerCase()) || !/^[A-Za-z0-9-]+$/.test(key) || !PRINTABLE.test(value),
    )
  )
    return undefined;
  const boundary = `--_NmP-${crypto.randomBytes(8).toString('hex')}-Part_1`;
  const headers = [
    ...extra.map(([key, value]) => foldLines(`${key}: ${value}`)),
    `From: ${from.header}`,
    `To: ${to.header}`,
    foldLines(`Subject: ${input.subject}`),
    `Message-ID: ${input.messageId}`,
    `Date: ${dateHeader(input.date ?? new Date())}`,
    'MIME-Version: 1.0',
    `Content-Type: multipart/alternative;\r\n boundary="${boundary}"`,
  ];
  const raw = [
    `${headers.join('\r\n')}\r\n`,
    `--${boundary}`,
    quotedPrintablePart('text/plain', input.text),
    `--${boundary}`,
    quotedPrintablePart('text/html', input.html),
    `--${boundary}--`,
    '',
  ].join('\r\n');
  return { raw: Buffer.from(raw), envelope: { from: from.address, to: [to.address] } };
}
