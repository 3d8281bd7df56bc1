import fs from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { WEB_DIST_DIR, webAppBuilt } from './web-dist';

export { WEB_DIST_DIR, webAppBuilt } from './web-dist';

/**
 * The web app under `/app/`: built files by @fastify/static (hashed assets
 * cached for a year, index.html never), every other `/app/...` path answered
 * with index.html so that the client-side router shows the page (the links in
 * emails: APP_PATHS in src/domain/subscriptions/links.ts). `/` redirects to `/app/`; `/favicon.ico` is the
 * app's icon. Without a build the
 * `/app/` paths answer 503 saying how to build it; the JSON API works either way.
 */
export function registerWebApp(app: FastifyInstance, dir = WEB_DIST_DIR): void {
  app.get('/', { schema: { hide: true } }, (_request, reply) => reply.redirect('/app/'));
  app.get('/app', { schema: { hide: true } }, (_request, reply) => reply.redirect('/app/'));

  if (!webAppBuilt(dir)) {
    app.get('/app/*', { schema: { hide: true } }, (_request, reply) =>
      reply
        .code(503)
        .type('text/plain; charset=utf-8')
        .send('The web app is not built: run `npm run build:web` (npm run build does it too).\n'),
    );
    return;
  }

  void app.register(fastifyStatic, {
    root: dir,
    prefix: '/app/',
    // Routes for the files present at start (the build is done before), so `/app/*` below is the SPA fallback.
    wildcard: false,
    index: false,
    decorateReply: false,
    setHeaders(res, file) {
      res.header(
        'cache-control',
        file.includes(`${path.sep}assets${path.sep}`) ? 'public, max-age=31536000, immutable' : 'no-cache',
      );
    },
  });
  const index = fs.readFileSync(path.join(dir, 'index.html'));
  // The app's icon (web/public/favicon.svg) also where browsers look for one unasked: no 404 in any page's log.
  const iconFile = path.join(dir, 'favicon.svg');
  if (fs.existsSync(iconFile)) {
    const icon = fs.readFileSync(iconFile);
    app.get('/favicon.ico', { schema: { hide: true } }, (_request, reply) =>
      reply.type('image/svg+xml').header('cache-control', 'public, max-age=86400').send(icon),
    );
  }
  const sendIndex = (_request: unknown, reply: import('fastify').FastifyReply) =>
    reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(index);
  app.get('/app/', { schema: { hide: true } }, sendIndex);
  app.get('/app/*', { schema: { hide: true } }, (request, reply) => {
    // A missing hashed asset is a 404, not the page (a stale tab after a deploy must not parse HTML as JS).
    if (request.url.startsWith('/app/assets/'))
      return reply.code(404).send({ error: 'not_found', message: 'no such asset' });
    return sendIndex(request, reply);
  });
}
