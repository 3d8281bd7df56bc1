import { z } from 'zod';

/** Token of a link in an email; other query parameters (tracking tags added by mail clients) are ignored. */
export const tokenQuery = z.object({ token: z.string().min(1).max(1024) });

/** The one-click POST body (`List-Unsubscribe=One-Click`, form-encoded or multipart); its content is not needed, the token decides. */
export const oneClickBody = z.union([z.string().max(10_000), z.record(z.string(), z.unknown())]).nullish();

/** The query of a link opened in a browser: without a token it still opens the app's page, which says so. */
export const linkQuery = z.object({ token: z.string().max(1024).optional() });
