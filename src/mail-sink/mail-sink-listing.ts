import fs from 'node:fs/promises';
import path from 'node:path';
import { simpleParser, type AddressObject } from 'mailparser';

/** One message in the sink, as `algo mail list` shows it. */
export interface SinkMessage {
  /** The addresses of the To header (`ann@example.com, bob@example.com`), else the envelope recipients. */
  to: string;
  subject: string;
  /** The Date header as an ISO instant (the file's time when the header is missing). */
  date: string;
  /** The Message-ID with angle brackets, or '' when absent. */
  messageId: string;
  /** Absolute path of the `.eml` file. */
  file: string;
}

function addresses(value: unknown): string {
  if (!value || typeof value !== 'object') return '';
  const groups = (Array.isArray(value) ? value : [value]) as AddressObject[];
  return groups
    .flatMap((g) => g.value ?? [])
    .map((a) => a.address ?? '')
    .filter((a) => a !== '')
    .join(', ');
}

// Bounded so that 10,000 files do not open 10,000 descriptors at once.
const PARSE_CONCURRENCY = 32;

async function readMessage(file: string): Promise<SinkMessage> {
  const raw = await fs.readFile(file);
  const parsed = await simpleParser(raw, {
    skipHtmlToText: true,
    skipTextToHtml: true,
    skipImageLinks: true,
    skipTextLinks: true,
  });
  const date = parsed.date ?? (await fs.stat(file)).mtime;
  return {
    to: addresses(parsed.to) || addresses(parsed.headers.get('delivered-to')),
    subject: parsed.subject ?? '',
    date: date.toISOString(),
    messageId: parsed.messageId ?? '',
    file,
  };
}

/**
 * Every message stored by the mail sink in `dir`, oldest first (by Date
 * header, then by file name, which starts with the arrival time). A missing
 * directory holds no messages.
 */
export async function listMailSink(dir: string): Promise<SinkMessage[]> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const files = names.filter((n) => n.endsWith('.eml') && !n.startsWith('.')).map((n) => path.join(dir, n));
  const messages: SinkMessage[] = [];
  for (let i = 0; i < files.length; i += PARSE_CONCURRENCY) {
    messages.push(...(await Promise.all(files.slice(i, i + PARSE_CONCURRENCY).map(readMessage))));
  }
  return messages.sort((a, b) => (a.date === b.date ? a.file.localeCompare(b.file) : a.date < b.date ? -1 : 1));
}
