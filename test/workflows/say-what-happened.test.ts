import { PostgresRecommendationRepository } from '../../src/adapters/postgres/postgres-recommendation.repository';
import { PostgresSubscriberRepository } from '../../src/adapters/postgres/postgres-subscriber.repository';
import { renderDailyRun } from '../../src/cli/commands/daily.command';
import type { DailyRunResult } from '../../src/workflows/daily-run.workflow';
import { seedCsvDir } from '../support/daily-run';
import { startFullApi, type FullApi } from '../support/full-api';
import { emptyMailbox, readMailbox } from '../support/mail';

// @fastify/static (under swagger-ui) requires the ESM-only content-disposition, which jest cannot load (see test/integration/api.test.ts).
jest.mock('content-disposition', () => ({ create: (name: string) => `attachment; filename="${name}"` }));

const API_KEY = 'say-what-happened-admin-key';
const ADMIN = { 'x-api-key': API_KEY };
/** sma_cross (default parameters) gives AAPL a BUY on this day of the seed data. */
const BUY_DAY = '2010-11-29';
const BUY_AND_HOLD_WON =
  'buy_and_hold did better out of sample (Sharpe 0.91, return 41.20%) than the best eligible strategy, sma_cross (Sharpe 0.40, return 12.00%)';
const EVIDENCE = {
  windows: 0,
  options: { trainDays: 504, testDays: 126, stepDays: 126, minTrainTrades: 2, minTestTrades: 4 },
  baseline: null,
  candidates: [],
};

/** Issue 18, point 11 ("Say what happened") on the real stack: API, worker, Temporal dev server, Postgres, Redis, SMTP sink. */
describe('say what happened', () => {
  let api: FullApi;

  beforeAll(async () => {
    api = await startFullApi({
      apiKey: API_KEY,
      configure: (config) => {
        config.marketData.csvDir = seedCsvDir();
        config.tickers = ['AAPL'];
        config.strategies = { default: [{ name: 'sma_cross', params: {} }], perTicker: {} };
        config.api.proofOfWork.enabled = false;
      },
    });
  });
  afterAll(() => api?.close());

  beforeEach(async () => {
    for (const table of ['deliveries', 'subscription_changes', 'subscriptions', 'subscribers', 'signals'] as const)
      await api.db.db.deleteFrom(table).execute();
    await api.db.db.deleteFrom('recommendations').execute();
    await api.workerDeps.states.clear();
    emptyMailbox(api.mailDir);
  });

  const call = async (method: string, path: string, body?: unknown, admin = false) => {
    const res = await fetch(`${api.baseUrl}${path}`, {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(admin ? ADMIN : {}) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> & { [k: string]: never } };
  };

  /** POST /runs/daily for `date`, then wait for the run's result. */
  const runDaily = async (date: string): Promise<DailyRunResult> => {
    const started = await call('POST', '/runs/daily', { date }, true);
    expect(started.status).toBe(202);
    const { workflowId, runId } = started.body as unknown as { workflowId: string; runId: string };
    return api.temporal.client.workflow.getHandle(workflowId, runId).result() as Promise<DailyRunResult>;
  };

  const subscribeConfirmed = (email: string, pairs: Array<[string, string]>) =>
    new PostgresSubscriberRepository(api.db.db).subscribe({
      email,
      subscriptions: pairs.map(([ticker, strategy]) => ({ ticker, strategy })),
      confirmed: true,
    });

  const recommendNothing = () =>
    new PostgresRecommendationRepository(api.db.db).save({
      runId: 'rec-buy-and-hold',
      recommendations: [
        { ticker: 'AAPL', asOf: BUY_DAY, strategy: null, params: null, reason: BUY_AND_HOLD_WON, evidence: EVIDENCE },
      ],
    });

  it('a second run of a date already processed says which run recorded it: N signals, 0 new, nothing to send', async () => {
    await subscribeConfirmed('ann@example.com', [['AAPL', 'sma_cross']]);
    const first = await runDaily(BUY_DAY);
    const total = Object.values(first.counts!).reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThan(0);
    expect(first.newSignals).toBe(total);
    expect(first.alreadyRecordedBy).toBeUndefined();
    expect(first.notifications.sent).toBe(1);

    const second = await runDaily(BUY_DAY);
    expect(second.newSignals).toBe(0);
    expect(second.alreadyRecordedBy).toEqual({ workflowId: `daily-${BUY_DAY}`, runId: first.runId });
    expect(second.notifications.sent).toBe(0);
    const headline = `${BUY_DAY}: already recorded by daily-${BUY_DAY} (run ${first.runId}): ${total} signals, 0 new, nothing to send`;
    // `algo run-daily` (and the demo) print it first.
    expect(renderDailyRun(second).split('\n')[0]).toBe(headline);
    expect(renderDailyRun(first).split('\n')[0]).toBe(
      `${BUY_DAY}: ${total} signals recorded (1 BUY, 0 SELL, 0 HOLD, 0 WAIT) for 1 ticker`,
    );

    // GET /runs/{workflowId}: the latest run, or the one asked for.
    const latest = await call('GET', `/runs/daily-${BUY_DAY}`, undefined, true);
    expect(latest.status).toBe(200);
    expect(latest.body).toMatchObject({
      workflowId: `daily-${BUY_DAY}`,
      runId: second.runId,
      headline,
      signals: { recorded: total, new: 0, buy: 1, sell: 0 },
      alreadyRecordedBy: { workflowId: `daily-${BUY_DAY}`, runId: first.runId },
    });
    const earlier = await call('GET', `/runs/daily-${BUY_DAY}?runId=${first.runId}`, undefined, true);
    expect(earlier.body).toMatchObject({ runId: first.runId, alreadyRecordedBy: null, signals: { new: total } });
    expect(earlier.body.headline).toMatch(new RegExp(`^${BUY_DAY}: ${total} signals recorded`));
    // GET /runs lists both, each with its headline.
    const listed = await call('GET', '/runs', undefined, true);
    const items = listed.body.items as unknown as Array<{ runId: string; headline: string }>;
    expect(items.find((r) => r.runId === second.runId)?.headline).toBe(headline);

    expect((await call('GET', '/runs/daily-1999-01-04', undefined, true)).status).toBe(404);
    expect((await call('GET', `/runs/daily-${BUY_DAY}`)).status).toBe(401);
    const bad = await call('GET', '/runs/daily%20x', undefined, true);
    expect(bad.status).toBe(400);
    expect(bad.body.field).toBe('workflowId');
  });

  it('a "recommended" subscription without a recommendation is told what it will do: in the answer and the confirmation email', async () => {
    const ask = (email: string) =>
      call('POST', '/subscriptions', { email, subscriptions: [{ ticker: 'AAPL', strategies: ['recommended'] }] });

    const none = await ask('rita@example.com');
    expect(none.status).toBe(202);
    const noneNote =
      'AAPL has no recommendation yet: your "recommended" subscription sends no email for AAPL until a walk-forward recommendation is made for it and picks a strategy that beats buy-and-hold.';
    expect(none.body.notes).toEqual([noneNote]);

    await recommendNothing();
    const buyAndHold = await ask('rob@example.com');
    const buyAndHoldNote = `No strategy is recommended for AAPL (${BUY_AND_HOLD_WON}): your "recommended" subscription sends no email for AAPL until a later recommendation picks a strategy that beats buy-and-hold.`;
    expect(buyAndHold.body.notes).toEqual([buyAndHoldNote]);

    // A subscription to a strategy says nothing of recommendations.
    const plain = await call('POST', '/subscriptions', { email: 'sue@example.com', tickers: ['AAPL'] });
    expect(plain.body.notes).toEqual([]);

    const mail = await readMailbox(api.mailDir);
    const textOf = (to: string) => mail.find((m) => m.to === to)!.text.replace(/\s+/g, ' ');
    expect(textOf('rita@example.com')).toContain(noneNote);
    expect(textOf('rob@example.com')).toContain(buyAndHoldNote);
    expect(mail.find((m) => m.to === 'rob@example.com')!.html).toContain('No strategy is recommended for AAPL');
    expect(textOf('sue@example.com')).not.toContain('recommended');
  });

  it.each([
    ['no recommendation yet', false, 'AAPL has no recommendation yet: your "recommended" subscription sends no email'],
    ['buy-and-hold won', true, `No strategy is recommended for AAPL (${BUY_AND_HOLD_WON})`],
  ])(
    'the digest of a subscriber whose "recommended" AAPL sends nothing (%s) says so beside their signals',
    async (_case, buyAndHold, note) => {
      if (buyAndHold) await recommendNothing();
      // Subscribed after the recommendation: no "changed" note to tell, only where the subscription stands.
      await subscribeConfirmed('sam@example.com', [
        ['AAPL', 'sma_cross'],
        ['AAPL', 'recommended'],
      ]);
      await subscribeConfirmed('ann@example.com', [['AAPL', 'sma_cross']]);
      const result = await runDaily(BUY_DAY);
      expect(result.signals.map((s) => s.strategy)).toEqual(['sma_cross']);
      const mail = await readMailbox(api.mailDir);
      const sam = mail.filter((m) => m.to === 'sam@example.com');
      expect(sam.map((m) => m.subject)).toEqual([`BUY AAPL (sma_cross) on ${BUY_DAY}`]);
      expect(sam[0].text.replace(/\s+/g, ' ')).toContain(note);
      expect(sam[0].text).not.toContain('Recommendation for AAPL changed');
      // Ann follows no "recommended": her digest has no such note.
      const ann = mail.filter((m) => m.to === 'ann@example.com');
      expect(ann).toHaveLength(1);
      expect(ann[0].text).not.toContain('recommend');
    },
  );
});
