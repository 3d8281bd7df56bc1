import { createTestDatabase, type TestDatabase } from '../support/database';
import type { FastifyInstance } from 'fastify';
import { buildApi, type ApiDeps } from '../../src/api/build-api';
import { main } from '../../src/cli/main';

// @fastify/static (under swagger-ui) requires the ESM-only content-disposition@3, which jest's CommonJS
// runtime cannot load; it is only used by reply.download(), which the API never calls (see api.test.ts).
jest.mock('content-disposition', () => ({ create: (name: string) => `attachment; filename="${name}"` }));

const API_KEY = 'rules-admin-key-123';

/** A bad backtest request: as the API's JSON body and as `algo backtest`'s options. */
interface BadInput {
  label: string;
  body: Record<string, unknown>;
  argv: string[];
  message: RegExp;
}

const BASE = { ticker: 'AAPL', strategy: 'sma_cross' };
const BASE_ARGV = ['--ticker', 'AAPL', '--strategy', 'sma_cross'];

const BAD_INPUTS: BadInput[] = [
  {
    label: 'fees above 10,000 bps',
    body: { ...BASE, feesBps: 10_001 },
    argv: [...BASE_ARGV, '--fees-bps', '10001'],
    message: /^feesBps must be at most 10000/,
  },
  {
    label: 'negative fees',
    body: { ...BASE, feesBps: -1 },
    argv: [...BASE_ARGV, '--fees-bps', '-1'],
    message: /^feesBps must be a number >= 0/,
  },
  {
    label: 'slippage of 100 %',
    body: { ...BASE, slippageBps: 10_000 },
    argv: [...BASE_ARGV, '--slippage-bps', '10000'],
    message: /^slippageBps must be below 10000/,
  },
  {
    label: 'no capital',
    body: { ...BASE, capital: 0 },
    argv: [...BASE_ARGV, '--capital', '0'],
    message: /^capital must be a positive number \(got 0\)/,
  },
  {
    label: 'negative capital',
    body: { ...BASE, capital: -1 },
    argv: [...BASE_ARGV, '--capital', '-1'],
    message: /^capital must be a positive number \(got -1\)/,
  },
  {
    label: 'too much capital',
    body: { ...BASE, capital: 2e12 },
    argv: [...BASE_ARGV, '--capital', '2e12'],
    message: /^capital must be at most/,
  },
  {
    label: 'from after to',
    body: { ...BASE, from: '2010-01-01', to: '2009-01-01' },
    argv: [...BASE_ARGV, '--from', '2010-01-01', '--to', '2009-01-01'],
    message: /^from 2010-01-01 is after to 2009-01-01/,
  },
  {
    label: 'a bad date',
    body: { ...BASE, from: '2010-02-30' },
    argv: [...BASE_ARGV, '--from', '2010-02-30'],
    message: /^from: "2010-02-30" is not a valid date/,
  },
  {
    label: 'an unknown strategy',
    body: { ...BASE, strategy: 'moon_phase' },
    argv: ['--ticker', 'AAPL', '--strategy', 'moon_phase'],
    message: /unknown strategy "moon_phase"/,
  },
  {
    label: 'a bad ticker',
    body: { ...BASE, ticker: '1AAPL' },
    argv: ['--ticker', '1AAPL', '--strategy', 'sma_cross'],
    message: /^ticker: "1AAPL" is not a ticker symbol/,
  },
  {
    label: 'a bad parameter',
    body: { ...BASE, params: { fast: 0 } },
    argv: [...BASE_ARGV, '--params', 'fast=0'],
    message: /bad parameter fast for strategy sma_cross/,
  },
];

/** Every dependency the backtest routes do not reach before the request is refused. */
const unused = new Proxy({}, { get: () => () => Promise.reject(new Error('not used by a refused backtest')) });

describe('the API and the CLI refuse the same bad backtest inputs with the same message', () => {
  let app: FastifyInstance;
  let baseUrl: string;
  const started: string[] = [];
  // The CLI asks Postgres for the rules saved over the API when a name is not a registered strategy.
  let cliDatabase: TestDatabase;
  const databaseUrlBefore = process.env.DATABASE_URL;

  beforeAll(async () => {
    cliDatabase = await createTestDatabase();
    process.env.DATABASE_URL = cliDatabase.url;
    app = buildApi({
      config: {
        tickers: ['AAPL'],
        strategies: { default: [{ name: 'sma_cross', params: {} }], perTicker: {} },
        api: {
          host: '127.0.0.1',
          port: 8000,
          apiKey: API_KEY,
          publicUrl: 'http://127.0.0.1:8000',
          tokenSecrets: ['x'.repeat(32)],
        },
      },
      subscribers: unused,
      changes: unused,
      signals: unused,
      deliveries: unused,
      mailer: unused,
      signer: unused,
      startWorkflow: () => Promise.reject(new Error('not used')),
      backtests: { get: async () => null, storedRange: async () => ({ first: '2004-01-02', last: '2010-12-31' }) },
      gateway: {
        start: async (_w: unknown, id: string) => (started.push(id), { workflowId: id, runId: 'r', url: '' }),
      },
      webApp: false,
    } as unknown as ApiDeps);
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  afterAll(async () => {
    await app?.close();
    if (databaseUrlBefore === undefined) delete process.env.DATABASE_URL;
    else process.env.DATABASE_URL = databaseUrlBefore;
    await cliDatabase?.destroy();
  });

  /** The CLI's error line for `algo backtest <argv>`, run in-process. */
  async function cliError(argv: string[]): Promise<{ code: number; message: string }> {
    let stderr = '';
    const write = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stderr += String(chunk);
      return true;
    });
    try {
      const code = await main(['node', 'algo', 'backtest', ...argv]);
      return {
        code,
        message: stderr
          .replace(/\x1b\[[0-9;]*m/g, '')
          .replace(/^error /, '')
          .trim(),
      };
    } finally {
      write.mockRestore();
    }
  }

  it.each(BAD_INPUTS)('$label', async ({ body, argv, message }) => {
    for (const url of ['/backtests', '/playground/backtests']) {
      const headers = { 'x-api-key': API_KEY, 'content-type': 'application/json' };
      const res = await fetch(`${baseUrl}${url}`, { method: 'POST', headers, body: JSON.stringify(body) });
      expect({ url, status: res.status }).toEqual({ url, status: 400 });
      const api = ((await res.json()) as { message: string }).message;
      expect(api).toMatch(message);
      const cli = await cliError(argv);
      expect(cli).toEqual({ code: 1, message: api });
    }
    expect(started).toEqual([]);
  });

  it('the CLI refuses capital that is no number with the rule of the API (JSON has no NaN)', async () => {
    expect(await cliError([...BASE_ARGV, '--capital', 'NaN'])).toEqual({
      code: 1,
      message: 'capital must be a positive number (got NaN)',
    });
  });
});
