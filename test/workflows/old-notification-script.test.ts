import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { FastifyInstance } from 'fastify';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { AppConfig } from '../../src/config/config';
import { PostgresDeliveryRepository } from '../../src/adapters/postgres/postgres-delivery.repository';
import { PostgresPriceRepository } from '../../src/adapters/postgres/postgres-price.repository';
import { PostgresRecommendationRepository } from '../../src/adapters/postgres/postgres-recommendation.repository';
import { PostgresResearchRepository } from '../../src/adapters/postgres/postgres-research.repository';
import { PostgresSignalRepository } from '../../src/adapters/postgres/postgres-signal.repository';
import { PostgresSubscriberRepository } from '../../src/adapters/postgres/postgres-subscriber.repository';
import { PostgresSubscriptionChangeRepository } from '../../src/adapters/postgres/postgres-subscription-change.repository';
import { HmacTokenSigner } from '../../src/adapters/tokens/hmac-token.signer';
import { NodemailerMailer } from '../../src/adapters/email/nodemailer-mailer';
import { buildApi } from '../../src/api/build-api';
import { TemporalGateway } from '../../src/services/temporal-gateway';
import { startMailSink, type MailSink } from '../../src/mail-sink';
import type { NotifyTickerResult } from '../../src/workflows/notify-ticker.workflow';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { startTestTemporal } from '../support/temporal';
import { startTestWorker, testConfig, type TestWorker } from '../support/worker';
import { readMailbox, tempDir } from '../support/mail';

// @fastify/static (under swagger-ui) requires the ESM-only content-disposition, which jest cannot load (see test/integration/api.test.ts).
jest.mock('content-disposition', () => ({ create: (name: string) => `attachment; filename="${name}"` }));

const run = promisify(execFile);
const API_KEY = 'old-notification-script-admin-key-0123456789';

/**
 * The old notification service's own script (bin/test_notification.sh), word
 * for word but for the address (our API on a free port) and the admin key header.
 */
const OLD_SCRIPT = `#!/bin/bash

# NEED TO HAVE STARTED THE DATABASES AND API SERVER #

echo "Adding AAPL to the email manager"
curl -X 'POST' \\
  'http://localhost:8000/tickers?ticker=AAPL' \\
  -H 'accept: application/json' \\
  -d ''
echo

echo "Listing all tickers (ensure AAPL is in there)"
curl -X 'GET' \\
  'http://localhost:8000/tickers' \\
  -H 'accept: application/json'
echo

echo "Adding test email as an AAPL subscriber"
curl -X 'PUT' \\
  'http://localhost:8000/tickers/AAPL' \\
  -H 'accept: application/json' \\
  -H 'Content-Type: application/json' \\
  -d '[
  "algotrading.consumer@gmail.com"
]'
echo

echo "List all users for AAPL"
curl -X 'GET' \\
  'http://localhost:8000/tickers/AAPL?test=false' \\
  -H 'accept: application/json'
echo

echo "Sending an email to the users subscribed to AAPL"
curl -X 'POST' \\
  'http://localhost:8000/notification/AAPL/send' \\
  -H 'accept: application/json' \\
  -H 'Content-Type: application/json' \\
  -d '{
  "signal": "BUY",
  "strategy": "SMACross",
  "date": "2022-03-04",
  "test": false
}'
`;

describe("the old notification service's script (curl), unchanged but for the admin key, on the real stack", () => {
  let env: TestWorkflowEnvironment;
  let t: TestDatabase;
  let config: AppConfig;
  let sink: MailSink;
  let mailDir: string;
  let api: FastifyInstance;
  let apiMailer: NodemailerMailer;
  let worker: TestWorker;
  let baseUrl: string;

  beforeAll(async () => {
    mailDir = tempDir('algo-old-script-mail-');
    [env, t, sink] = await Promise.all([
      startTestTemporal(),
      createTestDatabase(),
      startMailSink({ port: 0, dir: mailDir }),
    ]);
    config = testConfig({ databaseUrl: t.url, temporalAddress: env.address, smtpPort: sink.port, tickers: ['MSFT'] });
    config.strategies = {
      default: [
        { name: 'sma_cross', params: {} },
        { name: 'macd_cross', params: {} },
      ],
      perTicker: {},
    };
    config.api.apiKey = API_KEY;
    apiMailer = new NodemailerMailer({ host: '127.0.0.1', port: sink.port, secure: false, from: config.mail.from });
    api = buildApi({
      config,
      subscribers: new PostgresSubscriberRepository(t.db),
      changes: new PostgresSubscriptionChangeRepository(t.db),
      signals: new PostgresSignalRepository(t.db),
      prices: new PostgresPriceRepository(t.db),
      deliveries: new PostgresDeliveryRepository(t.db),
      mailer: apiMailer,
      signer: new HmacTokenSigner(config.api.tokenSecrets),
      temporal: TemporalGateway.fromConfig(env.client, config),
      today: () => '2022-03-07',
      webApp: false,
      research: {
        repository: new PostgresResearchRepository(t.db),
        prices: new PostgresPriceRepository(t.db),
        recommendations: new PostgresRecommendationRepository(t.db),
      },
    });
    await api.listen({ host: '127.0.0.1', port: 0 });
    const address = api.server.address();
    baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    worker = await startTestWorker(env, config);
  });

  afterAll(async () => {
    await worker?.stop();
    await api?.close();
    apiMailer?.close();
    await sink?.close();
    await t?.destroy();
    await env?.teardown();
  });

  /** Run the script with bash and the real curl; the JSON answer printed after each echoed title, by title. */
  async function runScript(): Promise<Map<string, unknown>> {
    const script = OLD_SCRIPT.replaceAll('http://localhost:8000', baseUrl).replaceAll(
      /curl -X '(\w+)' \\\n/g,
      `curl -X '$1' \\\n  -H 'x-api-key: ${API_KEY}' \\\n`,
    );
    const { stdout } = await run('bash', ['-c', script], { timeout: 30_000 });
    const answers = new Map<string, unknown>();
    const lines = stdout.split('\n');
    for (let i = 0; i < lines.length - 1; i += 1) {
      if (lines[i + 1].startsWith('{') || lines[i + 1].startsWith('[')) answers.set(lines[i], JSON.parse(lines[i + 1]));
    }
    return answers;
  }

  it('adds AAPL, lists it, subscribes the address, lists it, and emails the reported BUY once, recorded as reported', async () => {
    const first = await runScript();
    expect(first.get('Adding AAPL to the email manager')).toEqual({ ticker: 'AAPL', tracked: true, created: true });
    expect(first.get('Listing all tickers (ensure AAPL is in there)')).toMatchObject({
      tickers: expect.arrayContaining([expect.objectContaining({ ticker: 'AAPL' })]),
    });
    expect(first.get('Adding test email as an AAPL subscriber')).toMatchObject({
      ticker: 'AAPL',
      subscribers: [expect.objectContaining({ email: 'algotrading.consumer@gmail.com', status: 'confirmed' })],
    });
    expect(first.get('List all users for AAPL')).toMatchObject({ emails: ['algotrading.consumer@gmail.com'] });
    const sent = first.get('Sending an email to the users subscribed to AAPL') as { workflowId: string };
    expect(sent).toEqual({ workflowId: expect.any(String), runId: expect.any(String) });
    const result = (await env.client.workflow.getHandle(sent.workflowId).result()) as NotifyTickerResult;
    expect(result.notifications).toEqual({ sent: 1, skipped: 0, failed: 0 });

    const mails = await readMailbox(mailDir);
    expect(mails.map((m) => m.to)).toEqual(['algotrading.consumer@gmail.com']);
    expect(mails[0].text).toMatch(/BUY AAPL[^\n]*sma_cross/);
    // Every signal email carries the subscriber's manage link beside the unsubscribe link (issue 18.10).
    expect(mails[0].text).toMatch(/Manage your subscriptions: http\S+\/app\/manage\?token=\S+/);
    expect(mails[0].html).toMatch(/<a href="http[^"]+\/app\/manage\?token=[^"]+">Manage your subscriptions<\/a>/);

    // Recorded as reported: who reported it, and (no stored bar of the date) no close and no word of ours.
    const [recorded] = await new PostgresSignalRepository(t.db).list({ ticker: 'AAPL', date: '2022-03-04' });
    expect(recorded).toMatchObject({ strategy: 'sma_cross', signal: 'BUY', close: null });
    expect(recorded.reportedBy).toMatch(/^POST \/notification\/AAPL\/send \(admin key\) from /);
    const page = await fetch(`${baseUrl}/signals/AAPL/sma_cross/2022-03-04`);
    expect(page.status).toBe(200);
    expect(await page.json()).toMatchObject({
      signal: { signal: 'BUY', reportedBy: recorded.reportedBy, close: null },
      sent: true,
      ours: null,
    });

    // The script run again: AAPL is known, the address too, and the signal is not emailed twice.
    const again = await runScript();
    expect(again.get('Adding AAPL to the email manager')).toEqual({ ticker: 'AAPL', tracked: true, created: false });
    const resent = again.get('Sending an email to the users subscribed to AAPL') as { workflowId: string };
    const second = (await env.client.workflow.getHandle(resent.workflowId).result()) as NotifyTickerResult;
    expect(second.notifications).toMatchObject({ sent: 0, failed: 0 });
    expect(await readMailbox(mailDir)).toHaveLength(1);
  });
});
