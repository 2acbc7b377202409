# syntax=docker/dockerfile:1
#
# The oauth2 server image: `serve` by default; `projector`, `serve --api-only`, `fixtures load …`
# and the other CLI commands are the same image with another command.
#
#   docker build -t es-oauth2-server .
#   docker run --rm -p 8080:8080 -v oauth2-data:/data es-oauth2-server          # embedded SQLite
#   docker run --rm es-oauth2-server fixtures load test_credentials test_scopes

ARG NODE_IMAGE=node:20.20-bookworm-slim

# ---- toolchain: what better-sqlite3's native addon needs when no prebuilt binary fits --------
FROM ${NODE_IMAGE} AS toolchain
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
# node-gyp compiles against the headers that ship in the image instead of downloading them.
ENV npm_config_nodedir=/usr/local
WORKDIR /app

# ---- deps: production node_modules, native addon compiled (or fetched prebuilt) -------------
FROM toolchain AS deps
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

# ---- build: the TypeScript compile, which copies src/http/views into dist/http/views --------
FROM toolchain AS build
COPY package.json package-lock.json ./
# tsc loads no native module: skip the install scripts (no second better-sqlite3 compile, and
# none of the dev-only addons that testcontainers pulls in).
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build \
 && test -f dist/cli/main.js \
 && test -f dist/http/views/layout.eta \
 && test -f dist/http/views/style.css

# ---- runtime: node and the app, no compilers ------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080 \
    DATA_DIR=/data
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
# The embedded store's file and the generated session key live here; owned by the runtime user.
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 8080
# Liveness only (the process answers HTTP); /readyz is for load balancers. Slim images have no
# curl: node's own fetch does it. A container running `projector` serves no HTTP: disable it there.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/healthz', { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "dist/cli/main.js"]
CMD ["serve"]
