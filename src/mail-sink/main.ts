import path from 'node:path';
import { loadConfig } from '../config/config';
import { startMailSink } from './smtp-mail-sink';

/**
 * The mail sink process `algo stack up` starts (`tsx src/mail-sink/main.ts`):
 * an SMTP server on 127.0.0.1 (port 1025, or MAIL_SINK_PORT) storing every
 * message in <dataDir>/mail. It prints one "ready" line once listening.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  // Containers bind 0.0.0.0 (MAIL_SINK_HOST); locally it stays on loopback.
  const host = process.env.MAIL_SINK_HOST ?? '127.0.0.1';
  const port = process.env.MAIL_SINK_PORT ? Number(process.env.MAIL_SINK_PORT) : 1025;
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new Error(`MAIL_SINK_PORT: expected a port number, got ${process.env.MAIL_SINK_PORT}`);
  const dir = path.join(config.dataDir, 'mail');
  const sink = await startMailSink({ host, port, dir });
  process.stdout.write(`mail sink storing messages in ${dir}\n`);
  process.stdout.write(`mail sink ready on ${host}:${sink.port}\n`);
  const stop = () => {
    void sink.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`mail sink failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
