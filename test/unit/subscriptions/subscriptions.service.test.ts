import { HmacTokenSigner } from '../../../src/adapters/tokens/hmac-token.signer';
import type { OutgoingEmail } from '../../../src/domain/mailer';
import type { SubscriberRepository, SubscriberWithSubscriptions, TokenClaims } from '../../../src/domain/subscriptions';
import { confirmUrl, manageUrl, unsubscribeUrl } from '../../../src/domain/subscriptions';
import { SubscriptionsService } from '../../../src/services/subscriptions.service';

const SECRET = 'a-test-secret-of-enough-length';
// A fixed clock: confirm links carry 7 days, manage links 180 (unsubscribe links none).
const signer = new HmacTokenSigner(SECRET, { now: () => Date.parse('2026-12-07T12:00:00Z') });
const links = { publicUrl: 'https://signals.example.com', signer };
const ann: SubscriberWithSubscriptions = {
  id: 7,
  email: 'ann@example.com',
  status: 'confirmed',
  subscriptions: [{ ticker: 'AAPL', strategy: 'sma_cross' }],
};

/** A service over one stored subscriber (by id), recording sent emails. */
function serviceWith(stored: SubscriberWithSubscriptions[]) {
  const sent: OutgoingEmail[] = [];
  const unsubscribed: string[] = [];
  const subscribers = {
    findById: async (id: number) => stored.find((s) => s.id === id) ?? null,
    unsubscribe: async (email: string) => {
      unsubscribed.push(email);
      const found = stored.find((s) => s.email === email);
      return found
        ? { subscriber: { id: found.id, email, status: 'unsubscribed' as const }, removed: found.subscriptions.length }
        : null;
    },
    confirm: async (id: number) => {
      const found = stored.find((s) => s.id === id);
      return found ? { id, email: found.email, status: 'confirmed' as const } : null;
    },
    subscribe: async (input: { email: string; subscriptions: readonly { ticker: string; strategy: string }[] }) => ({
      subscriber: { id: 9, email: input.email, status: 'pending' as const, subscriptions: [...input.subscriptions] },
      created: true,
      added: [...input.subscriptions],
    }),
  } as unknown as SubscriberRepository;
  const service = new SubscriptionsService({
    subscribers,
    deliveries: {
      // Every delivery is new: claimed now, with the Message-ID it was claimed with.
      claim: async (input: { deliveries: readonly { subscriberId: number; messageId: string }[] }) =>
        new Map(input.deliveries.map((d) => [d.subscriberId, { status: 'new' as const, messageId: d.messageId }])),
      markSent: async () => undefined,
      markFailed: async () => undefined,
    },
    mailer: {
      send: async (message: OutgoingEmail) => {
        sent.push(message);
        return { messageId: message.messageId, accepted: [message.to], rejected: [] };
      },
    } as never,
    links,
    knownStrategies: () => [
      { name: 'sma_cross', description: '' },
      { name: 'macd_cross', description: '' },
    ],
    strategies: {
      default: [{ name: 'sma_cross', params: {} }],
      perTicker: { XOM: [{ name: 'rsi_reversion', params: {} }] },
    },
  });
  return { service, sent, unsubscribed };
}

const tokenOf = (url: string) => new URL(url).searchParams.get('token')!;

describe('SubscriptionsService.verifiedSubscriber: verify the token, find the subscriber, compare the address', () => {
  it('gives the subscriber and the claims of a genuine link for its purpose', async () => {
    const { service } = serviceWith([ann]);
    for (const [purpose, url] of [
      ['confirm', confirmUrl(links, ann)],
      ['unsubscribe', unsubscribeUrl(links, ann)],
      ['manage', manageUrl(links, ann)],
    ] as const) {
      const verified = await service.verifiedSubscriber(tokenOf(url), purpose);
      expect(verified).toEqual({
        subscriber: ann,
        claims: {
          purpose,
          subscriberId: 7,
          email: 'ann@example.com',
          ...(purpose === 'confirm' ? { expiresAt: '2026-12-15T00:00:00.000Z' } : {}),
          ...(purpose === 'manage' ? { expiresAt: '2027-06-06T00:00:00.000Z' } : {}),
        } satisfies TokenClaims,
      });
    }
  });

  it('refuses a token of another purpose', async () => {
    const { service } = serviceWith([ann]);
    expect(await service.verifiedSubscriber(tokenOf(confirmUrl(links, ann)), 'manage')).toBeNull();
    expect(await service.verifiedSubscriber(tokenOf(unsubscribeUrl(links, ann)), 'confirm')).toBeNull();
    expect(await service.verifiedSubscriber(tokenOf(manageUrl(links, ann)), 'unsubscribe')).toBeNull();
  });

  it('refuses an altered or truncated token, and one signed with another secret', async () => {
    const { service } = serviceWith([ann, { ...ann, id: 8, email: 'bob@example.com' }]);
    const token = tokenOf(manageUrl(links, ann));
    const [payload, mac] = token.split('.');
    const forged = Buffer.from(JSON.stringify({ v: 1, p: 'manage', s: 8, e: 'bob@example.com' })).toString('base64url');
    const otherSecret = new HmacTokenSigner('another-secret-of-enough-length').sign({
      purpose: 'manage',
      subscriberId: 7,
      email: 'ann@example.com',
    });
    for (const bad of [
      `${forged}.${mac}`,
      `${payload}.${mac.slice(0, -2)}`,
      `${payload}x.${mac}`,
      payload,
      '',
      otherSecret,
    ]) {
      expect(await service.verifiedSubscriber(bad, 'manage')).toBeNull();
    }
  });

  it('refuses a link whose subscriber has another address since, or is unknown', async () => {
    const token = tokenOf(manageUrl(links, ann));
    expect(
      await serviceWith([{ ...ann, email: 'ann.new@example.com' }]).service.verifiedSubscriber(token, 'manage'),
    ).toBeNull();
    expect(await serviceWith([]).service.verifiedSubscriber(token, 'manage')).toBeNull();
  });

  it('is what every link path checks: a bad link acts on nobody', async () => {
    const { service, unsubscribed } = serviceWith([{ ...ann, email: 'ann.new@example.com' }]);
    expect(await service.unsubscribeByToken(tokenOf(unsubscribeUrl(links, ann)))).toBeNull();
    expect(await service.unsubscribeAllByManageToken(tokenOf(manageUrl(links, ann)))).toBeNull();
    expect(await service.manageSubscriber(tokenOf(manageUrl(links, ann)))).toBeNull();
    expect(await service.confirmLink(tokenOf(confirmUrl(links, ann)))).toBeNull();
    expect(unsubscribed).toEqual([]);
  });

  it('a valid unsubscribe link unsubscribes its own address', async () => {
    const { service, unsubscribed } = serviceWith([ann]);
    expect(await service.unsubscribeByToken(tokenOf(unsubscribeUrl(links, ann)))).toEqual({
      id: 7,
      email: 'ann@example.com',
      status: 'unsubscribed',
    });
    expect(unsubscribed).toEqual(['ann@example.com']);
  });
});

describe('SubscriptionsService.subscribe', () => {
  it('follows the strategies each ticker runs by config and sends one confirmation carrying the confirm, manage and unsubscribe links', async () => {
    const { service, sent } = serviceWith([]);
    const result = await service.subscribe({
      email: ' Cy@Example.com',
      tickers: ['AAPL', 'XOM'],
      confirmed: false,
      today: '2024-01-05',
    });
    expect(result).toMatchObject({ email: 'cy@example.com', status: 'pending', confirmation: 'sent' });
    expect(result.subscriptions).toEqual([
      { ticker: 'AAPL', strategy: 'sma_cross' },
      { ticker: 'XOM', strategy: 'rsi_reversion' },
    ]);
    expect(sent).toHaveLength(1);
    expect(sent[0].text).toMatch(/Confirm your subscription: https:\/\/signals\.example\.com\/confirm\?token=/);
    expect(sent[0].text).toMatch(/Manage your subscriptions: https:\/\/signals\.example\.com\/app\/manage\?token=/);
    expect(sent[0].headers?.['List-Unsubscribe']).toMatch(/^<https:\/\/signals\.example\.com\/unsubscribe\?token=/);
  });

  it('refuses unknown strategies and an empty ticker list', async () => {
    const { service } = serviceWith([]);
    await expect(
      service.subscribe({
        email: 'cy@example.com',
        tickers: ['AAPL'],
        strategies: ['nope'],
        confirmed: true,
        today: '2024-01-05',
      }),
    ).rejects.toThrow(/unknown strategy "nope"/);
    await expect(
      service.subscribe({ email: 'cy@example.com', tickers: [], confirmed: true, today: '2024-01-05' }),
    ).rejects.toThrow(/give at least one ticker/);
  });
});
