# One image for every Node process of the stack: the worker (default), the
# HTTP API (which serves the web app), the mail sink and the CLI. TypeScript
# runs through tsx's require hook, as on a developer machine.
# Debian, not Alpine: the Temporal SDK's native core needs glibc.

# Stage 1: type-check everything and build the web app (`npm run build`), with the dev dependencies.
FROM node:20-bookworm-slim AS build
WORKDIR /app
ENV NPM_CONFIG_UPDATE_NOTIFIER=false
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY config ./config
COPY src ./src
COPY web ./web
RUN npm run build

# Stage 2: the runtime, production dependencies only, plus the built web app.
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production \
    ALGO_DATA_DIR=/data \
    NPM_CONFIG_UPDATE_NOTIFIER=false

# Dependencies first, so a source change does not reinstall them.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

COPY bin ./bin
COPY config ./config
COPY data ./data
COPY src ./src
COPY tsconfig.json ./
# The API serves the web app from dist/web (src/api/web-dist.ts).
COPY --from=build /app/dist/web ./dist/web

RUN mkdir -p /data && chown -R node:node /data
USER node
VOLUME ["/data"]

# The worker; compose overrides the command for the API, the mail sink and migrations.
CMD ["node", "--require", "tsx/cjs", "src/worker.ts"]
