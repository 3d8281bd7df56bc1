import type { FastifyInstance } from 'fastify';
import { NodemailerMailer } from '../../src/adapters/email/nodemailer-mailer';
import { PostgresDeliveryRepository } from '../../src/adapters/postgres/postgres-delivery.repository';
import { PostgresSavedStrategyRepository } from '../../src/adapters/postgres/postgres-saved-strategy.repository';
import { PostgresSignalRepository } from '../../src/adapters/postgres/postgres-signal.repository';
import { PostgresSubscriberRepository } from '../../src/adapters/postgres/postgres-subscriber.repository';
import { PostgresSubscriptionChangeRepository } from '../../src/adapters/postgres/postgres-subscription-change.repository';
import { HmacTokenSigner } from '../../src/adapters/tokens/hmac-token.signer';
import { buildApi } from '../../src/api/build-api';
import { registerStrategies, strategyRegistry, syncSavedStrategies } from '../../src/domain/strategies/registry';
import { RULE_LANGUAGE } from '../../src/domain/strategies/rules/rule-parser';
import { ruleStrategy } from '../../src/domain/strategies/rules/rule-strategy';
import { createTestDatabase, type TestDatabase } from '../support/database';

// See api.test.ts: swagger-ui's @fastify/static requires an ESM-only module jest cannot load; never used here.
jest.mock('content-disposition', () => ({ create: (name: string) => `attachment; filename="${name}"` }));

const ADMIN_KEY = 'strategies-api-admin-key-0123456789';
const ADMIN = { 'x-api-key': ADMIN_KEY };

const RULE = {
  name: 'dip_buyer',
  description: 'RSI(n) under a level while above SMA(200)',
  parameters: { n: { default: 2, min: 2, max: 30 }, level: { default: 10, min: 1, max: 50 } },
  entry: { all: ['rsi(n) < level', 'close > sma(200)'] },
  exit: 'close > sma(5)',
};

/** A rule from the config file (registered at start): its name is not free for a saved rule. */
const CONFIGURED = {
  name: 'configured_breakout',
  description: 'close above the prior 20-day high',
  entry: 'close > donchian(20).upper',
  exit: 'close < donchian(20).lower',
};

describe('POST /strategies, /strategies/preview and GET /strategies over real Postgres', () => {
  let t: TestDatabase;
  /** Two API instances over one database: what one saves, the other (another process) lists. */
  let apis: FastifyInstance[];
  const urls = new Map<FastifyInstance, string>();

  beforeAll(async () => {
    t = await createTestDatabase();
    registerStrategies([ruleStrategy(CONFIGURED)]);
    const build = () =>
      buildApi({
        config: {
          tickers: ['AAPL'],
          strategies: { default: [{ name: 'sma_cross', params: {} }], perTicker: {} },
          api: {
            host: '127.0.0.1',
            port: 8000,
            apiKey: ADMIN_KEY,
            publicUrl: 'http://127.0.0.1:8000',
            tokenSecrets: ['x'.repeat(32)],
          },
        },
        subscribers: new PostgresSubscriberRepository(t.db),
        changes: new PostgresSubscriptionChangeRepository(t.db),
        signals: new PostgresSignalRepository(t.db),
        deliveries: new PostgresDeliveryRepository(t.db),
        savedStrategies: new PostgresSavedStrategyRepository(t.db),
        mailer: new NodemailerMailer({ host: '127.0.0.1', port: 1, secure: false, from: 'a <a@localhost>' }),
        signer: new HmacTokenSigner('x'.repeat(32)),
        webApp: false,
      });
    apis = [build(), build()];
    for (const api of apis) {
      await api.listen({ host: '127.0.0.1', port: 0 });
      const address = api.server.address();
      urls.set(api, `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`);
    }
  });
  afterAll(async () => {
    await Promise.all((apis ?? []).map((a) => a.close()));
    await t?.destroy();
  });

  /** A real HTTP call; `json()` is the parsed body. */
  async function inject(api: FastifyInstance, method: 'GET' | 'POST', url: string, payload?: unknown, admin = false) {
    const res = await fetch(`${urls.get(api)}${url}`, {
      method,
      headers: { ...(payload === undefined ? {} : { 'content-type': 'application/json' }), ...(admin ? ADMIN : {}) },
      body: payload === undefined ? undefined : JSON.stringify(payload),
    });
    const body = (await res.json()) as any; // eslint-disable-line @typescript-eslint/no-explicit-any
    return { statusCode: res.status, json: () => body };
  }

  it('gives the rule language the builder offers: the parser’s own operands and operators', async () => {
    const res = await inject(apis[0], 'GET', '/strategies/rule-language');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual(JSON.parse(JSON.stringify(RULE_LANGUAGE)));
    expect(res.json().indicators.map((i: { name: string }) => i.name)).toContain('bollinger');
  });

  it('previews a rule without saving it: words and version, or a 400 naming the field', async () => {
    const res = await inject(apis[0], 'POST', '/strategies/preview', RULE);
    expect(res.statusCode).toBe(200);
    const compiled = ruleStrategy(RULE);
    expect(res.json()).toMatchObject({
      name: RULE.name,
      version: compiled.version,
      rules: compiled.rules({ n: 2, level: 10 }),
    });
    expect(res.json().rules).toMatch(/^BUY when RSI\(2\) is below 10 and the close is above SMA\(200\)/);

    const typo = await inject(apis[0], 'POST', '/strategies/preview', {
      ...RULE,
      entry: { all: ['rsi(n) < levle', 'close > sma(200)'] },
    });
    expect(typo.statusCode).toBe(400);
    expect(typo.json()).toMatchObject({ field: 'entry.all[0].right', message: expect.stringMatching(/level/) });
    const badName = await inject(apis[0], 'POST', '/strategies/preview', { ...RULE, name: 'Dip Buyer' });
    expect(badName.statusCode).toBe(400);
    expect(badName.json().field).toBe('name');
    expect(await t.db.selectFrom('saved_rule_strategies').selectAll().execute()).toEqual([]);
  });

  it('saves with the admin key only, refuses built-in and configured names, and another API instance lists it', async () => {
    expect((await inject(apis[0], 'POST', '/strategies', RULE)).statusCode).toBe(401);
    for (const name of ['rsi_reversion', CONFIGURED.name]) {
      const taken = await inject(apis[0], 'POST', '/strategies', { ...RULE, name }, true);
      expect(taken.statusCode).toBe(409);
      expect(taken.json().message).toMatch(new RegExp(`"${name}" is taken by a (built-in|configured) strategy`));
    }
    const saved = await inject(apis[0], 'POST', '/strategies', RULE, true);
    expect(saved.statusCode).toBe(201);
    expect(saved.json()).toMatchObject({ name: RULE.name, origin: 'saved', version: ruleStrategy(RULE).version });

    // As if the second instance were another process: it knows the rule only from Postgres.
    syncSavedStrategies([]);
    expect(strategyRegistry.has(RULE.name)).toBe(false);
    const listed = (await inject(apis[1], 'GET', '/strategies')).json().strategies as Array<{
      name: string;
      origin: string;
      rule?: unknown;
    }>;
    expect(listed.map((s) => [s.name, s.origin])).toEqual(
      expect.arrayContaining([
        ['sma_cross', 'built-in'],
        [CONFIGURED.name, 'configured'],
        [RULE.name, 'saved'],
      ]),
    );
    expect(listed.find((s) => s.name === 'sma_cross')!.rule).toBeUndefined();
    expect(listed.find((s) => s.name === CONFIGURED.name)!.rule).toMatchObject({ entry: CONFIGURED.entry });
    expect(listed.find((s) => s.name === RULE.name)!.rule).toMatchObject({ entry: RULE.entry, exit: RULE.exit });

    // A changed definition saved through one instance replaces the rule in the other, under its new version.
    const changed = { ...RULE, exit: 'close > sma(10)' };
    const replaced = await inject(apis[1], 'POST', '/strategies', changed, true);
    expect(replaced.statusCode).toBe(200);
    const relisted = (await inject(apis[0], 'GET', '/strategies')).json().strategies as Array<{
      name: string;
      version: number;
      rules: string;
    }>;
    expect(relisted.find((s) => s.name === RULE.name)).toMatchObject({
      version: ruleStrategy(changed).version,
      rules: expect.stringContaining('SMA(10)'),
    });
    expect(ruleStrategy(changed).version).not.toBe(ruleStrategy(RULE).version);
  });
});
