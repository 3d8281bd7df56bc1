import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import nodemailer from 'nodemailer';
import { simpleParser } from 'mailparser';
import { listMailSink, startMailSink, type MailSink } from '../../src/mail-sink';

/** A plain nodemailer client (not the project's mailer) so the sink is tested on its own. */
function client(port: number, auth?: { user: string; pass: string }) {
  return nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, auth });
}

describe('mail sink (real smtp-server)', () => {
  let dir: string;
  let sink: MailSink;

  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mail-sink-test-'));
    sink = await startMailSink({ port: 0, dir: path.join(dir, 'mail'), rejectRecipients: /^bounce@/ });
  });

  afterEach(async () => {
    await sink.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('stores each message as an .eml file named by time and hash, with no temporary file left', async () => {
    const transport = client(sink.port);
    const info = await transport.sendMail({
      from: 'Algo <signals@localhost>',
      to: 'Ann <ann@example.com>',
      subject: 'BUY AAPL (sma_cross) on 2010-11-29',
      text: 'plain body',
      html: '<p>html body</p>',
      messageId: '<one@test>',
    });
    transport.close();
    expect(info.response).toMatch(/^250 stored as \d{8}T\d{9}Z-[0-9a-f]{16}\.eml$/);

    const names = await fs.readdir(path.join(dir, 'mail'));
    expect(names).toHaveLength(1);
    expect(names[0]).toMatch(/^\d{8}T\d{9}Z-[0-9a-f]{16}\.eml$/);
    const parsed = await simpleParser(await fs.readFile(path.join(dir, 'mail', names[0])));
    expect(parsed.subject).toBe('BUY AAPL (sma_cross) on 2010-11-29');
    expect(parsed.messageId).toBe('<one@test>');
    expect(parsed.text?.trim()).toBe('plain body');
    expect(parsed.html).toContain('<p>html body</p>');
    expect(parsed.headers.get('delivered-to')).toMatchObject({ text: 'ann@example.com' });
  });

  it('accepts any login', async () => {
    const transport = client(sink.port, { user: 'whoever', pass: 'anything' });
    await expect(transport.verify()).resolves.toBe(true);
    await transport.sendMail({ from: 'a@localhost', to: 'b@example.com', subject: 's', text: 't' });
    transport.close();
    expect(await listMailSink(path.join(dir, 'mail'))).toHaveLength(1);
  });

  it('keeps two identical messages as two files (a duplicate must stay visible)', async () => {
    const transport = client(sink.port);
    const message = {
      from: 'a@localhost',
      to: 'b@example.com',
      subject: 'same',
      text: 't',
      messageId: '<dup@test>',
      date: new Date('2024-01-05T21:00:00Z'),
    };
    await Promise.all([transport.sendMail(message), transport.sendMail(message), transport.sendMail(message)]);
    transport.close();
    const listed = await listMailSink(path.join(dir, 'mail'));
    expect(listed.map((m) => m.messageId)).toEqual(['<dup@test>', '<dup@test>', '<dup@test>']);
    expect(new Set(listed.map((m) => m.file)).size).toBe(3);
  });

  it('lists messages by date with to, subject, date, messageId and file', async () => {
    const transport = client(sink.port);
    await transport.sendMail({
      from: 'a@localhost',
      to: 'late@example.com',
      subject: 'later',
      text: 't',
      messageId: '<b@test>',
      date: new Date('2024-01-06T21:00:00Z'),
    });
    await transport.sendMail({
      from: 'a@localhost',
      to: 'Early <early@example.com>',
      subject: 'earlier',
      text: 't',
      messageId: '<a@test>',
      date: new Date('2024-01-05T21:00:00Z'),
    });
    transport.close();
    const listed = await listMailSink(path.join(dir, 'mail'));
    expect(listed.map(({ file, ...rest }) => ({ ...rest, file: path.dirname(file) }))).toEqual([
      {
        to: 'early@example.com',
        subject: 'earlier',
        date: '2024-01-05T21:00:00.000Z',
        messageId: '<a@test>',
        file: path.join(dir, 'mail'),
      },
      {
        to: 'late@example.com',
        subject: 'later',
        date: '2024-01-06T21:00:00.000Z',
        messageId: '<b@test>',
        file: path.join(dir, 'mail'),
      },
    ]);
  });

  it('refuses recipients matching the reject pattern with 550 and stores nothing', async () => {
    const transport = client(sink.port);
    await expect(
      transport.sendMail({ from: 'a@localhost', to: 'bounce@example.com', subject: 's', text: 't' }),
    ).rejects.toMatchObject({ responseCode: 550 });
    transport.close();
    expect(await listMailSink(path.join(dir, 'mail'))).toEqual([]);
  });

  it('can be stopped (connections refused) and started again on the same port', async () => {
    const port = sink.port;
    await sink.close();
    const transport = client(port);
    await expect(
      transport.sendMail({ from: 'a@localhost', to: 'b@example.com', subject: 's', text: 't' }),
    ).rejects.toMatchObject({ code: 'ESOCKET' });
    sink = await startMailSink({ port, dir: path.join(dir, 'mail') });
    await transport.sendMail({ from: 'a@localhost', to: 'b@example.com', subject: 'after restart', text: 't' });
    transport.close();
    expect((await listMailSink(path.join(dir, 'mail'))).map((m) => m.subject)).toEqual(['after restart']);
  });

  it('lists nothing for a directory that does not exist', async () => {
    expect(await listMailSink(path.join(dir, 'nowhere'))).toEqual([]);
  });
});
