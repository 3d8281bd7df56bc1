import { z } from 'zod';
import { subscriptionPair } from './subscriptions.schemas';

/** The manage page's token (from its signed link), in a header so that it stays out of logs of URLs. */
export const manageHeaders = z.object({
  'x-manage-token': z.string().min(1).max(1024).describe('The token of the manage link in every email'),
});

export const manageBody = z.strictObject({
  subscriptions: z
    .array(subscriptionPair)
    .max(500)
    .describe('Every (ticker, strategy) the address follows from now on; empty: unsubscribed from everything'),
});
