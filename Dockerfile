# One image for every Node process of the stack: the worker (default), the
# HTTP API, the mail sink and the CLI. TypeScript runs through tsx's require
# hook, as on a developer machine, so there is no build step to drift.
# Debian, not Alpine: the Temporal SDK's native core needs glibc.
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

RUN mkdir -p /data && chown -R node:node /data
USER node
VOLUME ["/data"]

# The worker; compose overrides the command for the API, the mail sink and migrations.
CMD ["node", "--require", "tsx/cjs", "src/worker.ts"]
