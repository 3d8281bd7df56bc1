import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { NodemailerMailer } from '../../src/adapters/email/nodemailer-mailer';
import { PostgresDeliveryRepository } from '../../src/adapters/postgres/postgres-delivery.repository';
import { PostgresSignalRepository } from '../../src/adapters/postgres/postgres-signal.repository';
import { PostgresSubscriberRepository } from '../../src/adapters/postgres/postgres-subscriber.repository';
import { PostgresSubscriptionChangeRepository } from '../../src/adapters/postgres/postgres-subscription-change.repository';
import { PostgresPriceRepository } from '../../src/adapters/postgres/postgres-price.repository';
import { PostgresRecommendationRepository } from '../../src/adapters/postgres/postgres-recommendation.repository';
import { PostgresResearchRepository } from '../../src/adapters/postgres/postgres-research.repository';
import type { EnrichedBar } from '../../src/domain/bar';
import { walkForward } from '../../src/domain/backtest/walk-forward';
import { runStrategy } from '../../src/domain/strategies';
import { loadSeedBars } from '../unit/strategies/seed-bars';
import { HmacTokenSigner } from '../../src/adapters/tokens/hmac-token.signer';
import { buildApi } from '../../src/api/build-api';
import { startMailSink, type MailSink } from '../../src/mail-sink';
import { createTestDatabase, type TestDatabase } from '../support/database';

// See api.test.ts: @fastify/static needs an ESM-only module jest cannot load; it is never called here.
jest.mock('content-disposition', () => ({ create: (name: string) => `attachment; filename="${name}"` }));

const API_KEY = 'research-admin-key';
const ADMIN = { 'x-api-key': API_KEY };

describe('research API: strategies, charts, signals, track record, runs', () => {
  let t: TestDatabase;
  let sink: MailSink;
  let mailDir: string;
  let mailer: NodemailerMailer;
  let app: FastifyInstance;
  let baseUrl: string;

  beforeAll(async () => {
    t = await createTestDatabase();
    mailDir = await fs.mkdtemp(path.join(os.tmpdir(), 'research-api-mail-'));
    sink = await startMailSink({ port: 0, dir: mailDir });
    mailer = new NodemailerMailer({
      host: '127.0.0.1',
      port: sink.port,
      secure: false,
      from: 'Algo Signals <signals@localhost>',
      timeoutMs: 3000,
    });
    app = buildApi({
      config: {
        tickers: ['AAPL'],
        strategies: {
          default: [
            { name: 'sma_cross', params: {} },
            { name: 'macd_cross', params: {} },
          ],
          perTicker: {},
        },
        api: {
          host: '127.0.0.1',
          port: 8000,
          apiKey: API_KEY,
          publicUrl: 'http://signals.test:8000',
          tokenSecrets: ['x'.repeat(32)],
        },
      },
      subscribers: new PostgresSubscriberRepository(t.db),
      changes: new PostgresSubscriptionChangeRepository(t.db),
      signals: new PostgresSignalRepository(t.db),
      deliveries: new PostgresDeliveryRepository(t.db),
      mailer,
      signer: new HmacTokenSigner('x'.repeat(32)),
      today: () => '2010-12-31',
      research: {
        repository: new PostgresResearchRepository(t.db),
        prices: new PostgresPriceRepository(t.db),
        recommendations: new PostgresRecommendationRepository(t.db),
      },
    });
    await seed();
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });

  const { bars } = loadSeedBars('AAPL_2004-01-02_2010-12-31.csv');
  const RSI_PARAMS = { period: 10, lower: 25, upper: 75 };
  /** Emails went out from this day on: the signals before it were recorded but never sent. */
  const SENT_FROM = '2008-01-02';
  const trades = (label: string) =>
    recorded.filter((s) => s.strategy === label && (s.signal === 'BUY' || s.signal === 'SELL'));
  let recorded: Array<{ date: string; strategy: string; signal: string; close: number }> = [];

  /** AAPL 2004-2010, every day's sma_cross, macd_cross and recommended:rsi_reversion signal, digests sent from SENT_FROM to one subscriber of AAPL sma_cross and recommended. */
  async function seed() {
    await t.db
      .insertInto('tickers')
      .values({ symbol: 'AAPL', first_date: bars[0].date, last_date: bars[bars.length - 1].date })
      .execute();
    for (let i = 0; i < bars.length; i += 500) {
      await t.db
        .insertInto('daily_bars')
        .values(
          bars.slice(i, i + 500).map((b: EnrichedBar) => ({
            ticker: 'AAPL',
            date: b.date,
            open: b.open,
            high: b.high,
            low: b.low,
            close: b.close,
            adj_close: b.adjClose,
            volume: b.volume,
            sma7: b.sma7,
            sma21: b.sma21,
            sma50: b.sma50,
            sma100: b.sma100,
            sma200: b.sma200,
            ema12: b.ema12,
            ema26: b.ema26,
            macd: b.macd,
            macd_signal: b.macdSignal,
          })),
        )
        .execute();
    }
    const signals = new PostgresSignalRepository(t.db);
    for (const [label, name, params] of [
      ['sma_cross', 'sma_cross', {}],
      ['macd_cross', 'macd_cross', {}],
      ['recommended:rsi_reversion', 'rsi_reversion', RSI_PARAMS],
    ] as const) {
      const run = runStrategy(name, params, bars);
      const records = run.records.map((r) => ({
        date: r.date,
        ticker: 'AAPL',
        strategy: label,
        strategyVersion: 1,
        signal: r.signal,
        close: bars.find((b) => b.date === r.date)!.close,
        inputs: r.inputs,
      }));
      await signals.record(records);
      recorded.push(...records.map((r) => ({ date: r.date, strategy: r.strategy, signal: r.signal, close: r.close })));
    }
    recorded = recorded.sort((a, b) => a.date.localeCompare(b.date));
    const wf = walkForward({
      bars,
      candidates: [{ strategy: 'rsi_reversion', combos: [RSI_PARAMS] }],
      options: { mustBeatBaseline: false, minTestTrades: 1 },
    });
    await new PostgresRecommendationRepository(t.db).save({
      runId: 'rec-1',
      recommendations: [
        {
          ticker: 'AAPL',
          asOf: '2010-12-31',
          strategy: 'rsi_reversion',
          params: RSI_PARAMS,
          reason: null,
          evidence: {
            windows: wf.windows,
            options: { trainDays: 504, testDays: 126, stepDays: 126, minTrainTrades: 2, minTestTrades: 1 },
            baseline: wf.baseline,
            candidates: wf.candidates,
          },
        },
      ],
    });
    const [{ id }] = await t.db
      .insertInto('subscribers')
      .values({ email: 'ann@example.com', status: 'confirmed' })
      .returning('id')
      .execute();
    await t.db
      .insertInto('subscriptions')
      .values([
        { subscriber_id: id, ticker: 'AAPL', strategy: 'sma_cross' },
        { subscriber_id: id, ticker: 'AAPL', strategy: 'recommended' },
      ])
      .execute();
    // Each day's digest and the signals it carried (a delivery is keyed by what it carries).
    const carried = recorded.filter(
      (s) => s.date >= SENT_FROM && (s.signal === 'BUY' || s.signal === 'SELL') && s.strategy !== 'macd_cross',
    );
    const sentDates = [...new Set(carried.map((s) => s.date))];
    await t.db
      .insertInto('deliveries')
      .values(
        sentDates.map((d) => ({
          kind: 'daily',
          run_date: d,
          subscriber_id: id,
          seq: 1,
          message_id: `<daily.${d}@t>`,
          status: 'sent' as const,
          attempts: 1,
        })),
      )
      .execute();
    await t.db
      .insertInto('delivered_signals')
      .values(
        carried.map((s) => ({
          subscriber_id: id,
          date: s.date,
          ticker: 'AAPL',
          strategy: s.strategy,
          kind: 'daily',
          run_date: s.date,
          seq: 1,
        })),
      )
      .execute();
  }

  /** Forward return of the close `h` bars after `date`, straight from the bars (null past them). */
  const forwardOf = (date: string, h: number) => {
    const i = bars.findIndex((b) => b.date === date);
    return i + h < bars.length ? (bars[i + h].close / bars[i].close - 1) * 100 : null;
  };

  afterAll(async () => {
    await app.close();
    mailer.close();
    await sink.close();
    await t.destroy();
    await fs.rm(mailDir, { recursive: true, force: true });
  });

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
    const res = await fetch(`${baseUrl}${url}`, { headers });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  }

  it('GET /strategies lists every strategy with its rule in words, JSON-schema parameters and chart layout', async () => {
    const res = await get('/strategies');
    expect(res.status).toBe(200);
    const names = res.body.strategies.map((s: { name: string }) => s.name);
    expect(names).toEqual([
      'sma_cross',
      'macd_cross',
      'rsi_reversion',
      'bollinger_reversion',
      'donchian_breakout',
      'buy_and_hold',
    ]);
    const sma = res.body.strategies[0];
    expect(sma.rules).toMatch(/^BUY when SMA\(7\) crosses above SMA\(21\) while the close is above SMA\(50\)/);
    expect(sma.defaults).toEqual({ fast: 7, slow: 21, trend: 50 });
    expect(sma.paramsSchema.properties.slow).toEqual({
      type: 'integer',
      minimum: 2,
      maximum: 1000,
      default: 21,
      description: 'Days of the slow SMA',
    });
    expect(sma.chart.overlays.map((o: { key: string }) => o.key)).toEqual(['sma7', 'sma21', 'sma50']);
    const macd = res.body.strategies[1];
    expect(macd.chart.panes[0]).toMatchObject({ id: 'macd', levels: [0] });
  });

  it('GET /tickers/:ticker/chart: a window of bars with the strategy indicators and its recorded signals as markers', async () => {
    const res = await get('/tickers/AAPL/chart?strategy=sma_cross&from=2008-01-01&to=2008-12-31');
    expect(res.status).toBe(200);
    const body = res.body;
    const window = bars.filter((b) => b.date >= '2008-01-01' && b.date <= '2008-12-31');
    expect(body.bars.map((b: { date: string }) => b.date)).toEqual(window.map((b) => b.date));
    expect(body).toMatchObject({
      from: window[0].date,
      to: window[window.length - 1].date,
      stored: { first: '2004-01-02', last: '2010-12-31' },
      truncated: false,
    });
    expect(body.strategy).toMatchObject({
      label: 'sma_cross',
      source: 'config',
      params: { fast: 7, slow: 21, trend: 50 },
    });
    expect(Object.keys(body.indicators)).toEqual(['sma7', 'sma21', 'sma50']);
    window.forEach((b, i) => expect(body.indicators.sma21[i]).toBeCloseTo(b.sma21!, 6));
    const expected = trades('sma_cross').filter((s) => s.date >= '2008-01-01' && s.date <= '2008-12-31');
    expect(expected.length).toBeGreaterThan(1);
    expect(body.markers).toEqual(expected.map((s) => ({ date: s.date, signal: s.signal, strategy: 'sma_cross' })));

    // Other parameters: computed from the closes, warm-up read before the window.
    const other = await get(
      '/tickers/AAPL/chart?strategy=sma_cross&params=fast=10,slow=30&from=2008-01-01&to=2008-03-31',
    );
    expect(other.status).toBe(200);
    expect(other.body.strategy).toMatchObject({ source: 'request', params: { fast: 10, slow: 30, trend: 50 } });
    const closes = bars.map((b) => b.close);
    const at = bars.findIndex((b) => b.date === other.body.bars[0].date);
    const sma30 = closes.slice(at - 29, at + 1).reduce((a, c) => a + c, 0) / 30;
    expect(other.body.indicators.sma30[0]).toBeCloseTo(sma30, 6);
    // A recursive indicator (RSI) over the whole history: the recorded input of a signal day equals the drawn value.
    const rec = await get('/tickers/AAPL/chart?strategy=recommended:rsi_reversion&from=2009-01-01&to=2009-12-31');
    expect(rec.body.strategy).toMatchObject({ source: 'recommendation', params: RSI_PARAMS });
    expect(rec.body.chart.panes[0]).toMatchObject({ id: 'rsi', levels: [25, 75] });
    const marker = rec.body.markers[0];
    const signal = await get(`/signals/AAPL/recommended:rsi_reversion/${marker.date}`);
    expect(
      rec.body.indicators.rsi[rec.body.bars.findIndex((b: { date: string }) => b.date === marker.date)],
    ).toBeCloseTo(signal.body.signal.inputs.rsi, 6);
  });

  it('GET /tickers/:ticker/chart bounds the window, names bad input, 404s an unknown ticker', async () => {
    const all = await get('/tickers/AAPL/chart?from=2000-01-01');
    expect(all.status).toBe(200);
    expect(all.body.truncated).toBe(true);
    expect(all.body.bars).toHaveLength(1300);
    expect(all.body.to).toBe('2010-12-31');
    const dflt = await get('/tickers/AAPL/chart');
    expect(dflt.body.from >= '2009-12-31' && dflt.body.bars.length > 240 && dflt.body.bars.length < 260).toBe(true);
    const bad = await get('/tickers/AAPL/chart?strategy=sma_cross&params=fast=50');
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/fast/);
    expect((await get('/tickers/AAPL/chart?params=fast:3')).body.message).toMatch(/^params: /);
    expect((await get('/tickers/AAPL/chart?from=2008-02-30')).status).toBe(400);
    expect((await get('/tickers/ZZZZ/chart')).status).toBe(404);
    expect((await get('/tickers/AAPL/chart?strategy=moon')).status).toBe(400);
  });

  it('GET /signals/:ticker/:strategy/:date: the inputs, the rule in words, forward returns, sent or not, the recommendation', async () => {
    const sent = trades('sma_cross').find((s) => s.date >= SENT_FROM)!;
    const res = await get(`/signals/AAPL/sma_cross/${sent.date}`);
    expect(res.status).toBe(200);
    expect(res.body.signal).toMatchObject({
      date: sent.date,
      ticker: 'AAPL',
      strategy: 'sma_cross',
      signal: sent.signal,
      close: sent.close,
      runDate: sent.date,
    });
    expect(Object.keys(res.body.signal.inputs).sort()).toEqual(['close', 'sma21', 'sma50', 'sma7']);
    expect(res.body.strategy.rules).toMatch(/^BUY when SMA\(7\) crosses above SMA\(21\)/);
    expect(res.body.sent).toBe(true);
    expect(res.body.recommendation).toBeNull();
    for (const f of res.body.forward) expect(f.returnPct).toBeCloseTo(forwardOf(sent.date, f.days)!, 9);
    expect(res.body.forward.map((f: { days: number }) => f.days)).toEqual([5, 20, 60]);

    const unsent = trades('sma_cross').find((s) => s.date < SENT_FROM)!;
    expect((await get(`/signals/AAPL/sma_cross/${unsent.date}`)).body.sent).toBe(false);
    // Near the end of the data: the 60-day return does not exist yet.
    const late = recorded.filter((s) => s.strategy === 'sma_cross' && s.date > '2010-11-01')[0];
    const lateRes = await get(`/signals/AAPL/sma_cross/${late.date}`);
    expect(lateRes.body.forward[2]).toEqual({ days: 60, date: null, close: null, returnPct: null });

    const rsi = trades('recommended:rsi_reversion').find((s) => s.date >= SENT_FROM)!;
    const rec = await get(`/signals/AAPL/recommended:rsi_reversion/${rsi.date}`);
    expect(rec.body.strategy).toMatchObject({ name: 'rsi_reversion', source: 'recommendation', params: RSI_PARAMS });
    expect(rec.body.strategy.rules).toMatch(/RSI\(10\) crosses up through 25/);
    expect(rec.body.sent).toBe(true);
    expect(rec.body.recommendation).toMatchObject({ strategy: 'rsi_reversion', asOf: '2010-12-31' });
    expect(rec.body.recommendation.folds.length).toBeGreaterThan(3);
    expect(rec.body.recommendation.outOfSample.trades).toBeGreaterThan(0);

    expect((await get('/signals/AAPL/sma_cross/2008-01-05')).status).toBe(404);
    expect((await get('/signals/AAPL/Bad-Name/2008-01-02')).status).toBe(400);
  });

  it('GET /tickers/:ticker/state: position per strategy, the recommendation with its evidence, latest signals', async () => {
    const res = await get('/tickers/AAPL/state');
    expect(res.status).toBe(200);
    const labels = res.body.strategies.map((s: { strategy: { label: string } }) => s.strategy.label);
    expect(labels).toEqual(['sma_cross', 'macd_cross', 'recommended:rsi_reversion']);
    for (const s of res.body.strategies) {
      const own = recorded.filter((r) => r.strategy === s.strategy.label);
      const last = own[own.length - 1];
      expect(s.lastSignal).toEqual({ date: '2010-12-31', signal: last.signal });
      expect(s.position).toBe(last.signal === 'BUY' || last.signal === 'HOLD' ? 'long' : 'flat');
      expect(s.trades).toBe(trades(s.strategy.label).length);
      expect(s.lastBuy).toBe(own.filter((r) => r.signal === 'BUY').pop()?.date ?? null);
    }
    expect(res.body.recommendation).toMatchObject({ strategy: 'rsi_reversion', params: RSI_PARAMS });
    expect(res.body.recommendation.baseline).not.toBeNull();
    const latest = recorded
      .filter((r) => r.signal === 'BUY' || r.signal === 'SELL')
      .sort((a, b) => b.date.localeCompare(a.date) || a.strategy.localeCompare(b.strategy))
      .slice(0, 20);
    expect(res.body.latestSignals.map((s: { date: string; strategy: string }) => `${s.date} ${s.strategy}`)).toEqual(
      latest.map((s) => `${s.date} ${s.strategy}`),
    );
    expect((await get('/tickers/QQQQ/state')).status).toBe(404);
  });

  it('GET /track-record: hit rates of the signals actually sent next to what the rules showed before, paged', async () => {
    const first = await get('/track-record?limit=1');
    expect(first.status).toBe(200);
    expect(first.body.items).toHaveLength(1);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const second = await get(`/track-record?limit=1&cursor=${first.body.nextCursor}`);
    expect(second.body.nextCursor).toBeNull();
    const items = [...first.body.items, ...second.body.items];
    // macd_cross signals were recorded but nobody was sent them.
    expect(items.map((i) => i.strategy.label)).toEqual(['recommended:rsi_reversion', 'sma_cross']);
    for (const item of items) {
      const sent = trades(item.strategy.label).filter((s) => s.date >= SENT_FROM);
      expect(item).toMatchObject({ ticker: 'AAPL', firstSent: sent[0].date, lastSent: sent[sent.length - 1].date });
      expect(item.buys + item.sells).toBe(sent.length);
      for (const h of item.actual) {
        const judged = sent.filter((s) => forwardOf(s.date, h.days) !== null);
        const hits = judged.filter((s) =>
          s.signal === 'BUY' ? forwardOf(s.date, h.days)! > 0 : forwardOf(s.date, h.days)! < 0,
        );
        expect({ days: h.days, signals: h.signals, hits: h.hits }).toEqual({
          days: h.days,
          signals: judged.length,
          hits: hits.length,
        });
      }
      // The promise: the same rules over the bars before the first sent signal only.
      const before = trades(item.strategy.label).filter((s) => s.date < SENT_FROM);
      expect(item.promised.buys + item.promised.sells).toBe(before.length);
      expect(item.promised.to < item.firstSent).toBe(true);
      expect(item.recent[0].date).toBe(sent[sent.length - 1].date);
    }
    expect(items[0].recommendation.outOfSample).not.toBeNull();
    expect(items[1].recommendation).toBeNull();
    expect((await get('/track-record?strategy=sma_cross')).body.items).toHaveLength(1);
    expect((await get('/track-record?ticker=MSFT')).body.items).toHaveLength(0);
    expect((await get('/track-record?cursor=nonsense')).status).toBe(400);
    expect((await get('/track-record?limit=201')).status).toBe(400);
  });

  it('GET /runs needs the admin key', async () => {
    expect((await get('/runs')).status).toBe(401);
    expect((await get('/runs', { 'x-api-key': 'wrong' })).status).toBe(401);
    // This API has no run history wired (the stack test reads it from Temporal).
    expect((await get('/runs', ADMIN)).status).toBe(503);
  });
});
