import { z } from 'zod';
import { RECOMMENDED_STRATEGY } from '../../domain/subscriptions';
import { MAX_TICKERS_PER_REQUEST } from '../../services/subscriptions.service';
import { emailSchema, strategyNameSchema, tickerSchema } from '../schemas';

/** One (ticker, strategy) pair a subscriber follows. */
export const subscriptionPair = z.strictObject({ ticker: tickerSchema, strategy: strategyNameSchema });

/** One ticker with its own strategies (the web app's per-ticker choice). */
export const subscriptionRequestItem = z.strictObject({
  ticker: tickerSchema,
  strategies: z
    .array(strategyNameSchema)
    .max(20)
    .optional()
    .describe(
      'Default (omitted or empty): the strategies the ticker runs by config; "recommended" follows the recommendation',
    ),
});

/** POST /subscriptions: `tickers` (with `strategies` for all of them) and/or `subscriptions` (per ticker). */
export const subscribeBody = z
  .strictObject({
    email: emailSchema,
    tickers: z
      .array(tickerSchema)
      .min(1)
      .max(MAX_TICKERS_PER_REQUEST)
      .optional()
      .describe('Tickers, each with `strategies` (or per ticker: `subscriptions`)'),
    strategies: z
      .array(strategyNameSchema)
      .min(1)
      .max(20)
      .optional()
      .describe('Default: the strategies each ticker runs by config'),
    subscriptions: z
      .array(subscriptionRequestItem)
      .min(1)
      .max(MAX_TICKERS_PER_REQUEST)
      .optional()
      .describe('Per ticker strategies (instead of tickers + strategies)'),
    altcha: z
      .string()
      .max(4000)
      .optional()
      .describe(
        'The solved proof of work of GET /subscriptions/challenge: base64 of JSON {algorithm, challenge, number, salt, signature}',
      ),
  })
  .refine((b) => (b.tickers?.length ?? 0) + (b.subscriptions?.length ?? 0) > 0, {
    message: 'give at least one ticker',
    path: ['tickers'],
  });

/** The token of a link in an email, in a JSON body (the web app's landing pages). */
export const tokenBody = z.strictObject({ token: z.string().min(1).max(1024) });

/** "Send me a new link": the token of the (expired) link, or an address; exactly one of them. */
export const newLinkBody = z.strictObject({
  token: z.string().min(1).max(1024).optional(),
  email: emailSchema.optional(),
});

/** The answer to "send me a new link", the same whether or not the address subscribes. */
export const newLinkResponse = z.object({ message: z.string() });

/**
 * A 4xx answer: `invalid_link` for a link that is not valid; `field` names the
 * request field at fault when one is, `errors` gives a sentence per field (src/api/errors.ts).
 */
export const errorResponse = z.object({
  error: z.string(),
  message: z.string(),
  field: z.string().optional(),
  errors: z
    .array(z.object({ field: z.string(), message: z.string() }))
    .optional()
    .describe(
      'One sentence per field at fault, e.g. {"field": "email", "message": "Email is not a valid email address."}',
    ),
});

const statusSchema = z.enum(['pending', 'confirmed', 'unsubscribed']);

/** A subscriber as the subscriber pages show it. */
export const subscriberView = z.object({
  email: z.string(),
  status: statusSchema,
  subscriptions: z.array(subscriptionPair),
});

export const subscribeResponse = z.object({
  email: z.string(),
  subscriptions: z.array(subscriptionPair).describe('What the confirmation link will add'),
  message: z.string(),
  notes: z
    .array(z.string())
    .describe(
      'What each "recommended" ticker will do: e.g. no email until a recommendation picks a strategy that beats buy-and-hold',
    ),
});

export const confirmResponse = subscriberView.extend({
  outcome: z
    .enum(['applied', 'already_applied', 'confirmed'])
    .describe('applied now; already_applied by an earlier click; confirmed: an older link confirmed the address'),
  added: z.array(subscriptionPair),
  manageUrl: z.string().describe('The signed manage link of this address'),
});

export const unsubscribeResponse = z.object({ email: z.string(), status: z.literal('unsubscribed') });

export const optionsResponse = z.object({
  strategies: z.array(z.object({ name: z.string(), description: z.string() })),
  recommended: z.literal(RECOMMENDED_STRATEGY).describe("The strategy name that follows each ticker's recommendation"),
  defaultStrategies: z.array(z.string()).describe('What a ticker runs by config when no strategy is picked'),
  maxTickers: z.number().int(),
  maxConfirmationEmailsPerDay: z.number().int(),
});

/** GET /subscriptions/challenge: find `number` in [0, maxnumber] with SHA-256(salt + number) = challenge (ALTCHA's format). */
export const challengeResponse = z.object({
  algorithm: z.literal('SHA-256'),
  challenge: z.string(),
  maxnumber: z.number().int(),
  salt: z.string(),
  signature: z.string(),
});
