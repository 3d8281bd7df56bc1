import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { simpleParser } from 'mailparser';

/** One message the mail sink stored, parsed for assertions. */
export interface ReceivedEmail {
  file: string;
  /** The To address (one recipient per message here). */
  to: string;
  subject: string;
  /** With angle brackets, as sent. */
  messageId: string;
  text: string;
  html: string;
  /** Raw header values by lower-case name (folding undone); the first occurrence wins. */
  headers: Map<string, string>;
}

/** A new empty directory under the system temp dir. */
export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** A TCP port that was free a moment ago (to start and stop a sink on a known port). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** How many messages the sink has stored in `dir` (cheap enough to poll). */
export function storedMessageCount(dir: string): number {
  if (!fs.existsSync(dir)) return 0;
  return fs.readdirSync(dir).filter((n) => n.endsWith('.eml') && !n.startsWith('.')).length;
}

/** Remove every stored message from `dir`. */
export function emptyMailbox(dir: string): void {
  for (const name of fs.readdirSync(dir)) fs.rmSync(path.join(dir, name), { force: true });
}

/** Header lines as name -> value, unfolded (RFC 5322 2.2.3). */
function headerValues(lines: ReadonlyArray<{ key: string; line: string }>): Map<string, string> {
  const out = new Map<string, string>();
  for (const { key, line } of lines) {
    if (out.has(key)) continue;
    const value = line
      .slice(line.indexOf(':') + 1)
      .replace(/\r?\n(?=[ \t])/g, '')
      .trim();
    out.set(key, value);
  }
  return out;
}

/** Every message stored in `dir`, parsed, in file-name (arrival) order. */
export async function readMailbox(dir: string): Promise<ReceivedEmail[]> {
  if (!fs.existsSync(dir)) return [];
  const files = fs
    .readdirSync(dir)
    .filter((n) => n.endsWith('.eml') && !n.startsWith('.'))
    .sort();
  const out: ReceivedEmail[] = [];
  for (const name of files) {
    const file = path.join(dir, name);
    const parsed = await simpleParser(fs.readFileSync(file));
    const to = (Array.isArray(parsed.to) ? parsed.to : parsed.to ? [parsed.to] : []).flatMap((a) =>
      a.value.map((v) => v.address ?? ''),
    );
    out.push({
      file,
      to: to.join(', '),
      subject: parsed.subject ?? '',
      messageId: parsed.messageId ?? '',
      text: parsed.text ?? '',
      html: typeof parsed.html === 'string' ? parsed.html : '',
      headers: headerValues(parsed.headerLines),
    });
  }
  return out;
}

/** How many times each value occurs, only those occurring more than once. */
export function duplicates(values: readonly string[]): Record<string, number> {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return Object.fromEntries([...counts].filter(([, n]) => n > 1));
}

/** Poll `probe` until it returns something truthy; fail with `what` after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  timeoutMs = 30_000,
  intervalMs = 25,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
