# Kairos as a small production image: compiled to JavaScript, run by plain node as a non-root user, the
# database on a volume.
#   docker build -t kairos .
#   docker run -d --name kairos --env-file .env -v kairos-data:/data -p 127.0.0.1:9464:9464 kairos
# With KAIROS_HTTP_PORT=9464 set, /healthz and /metrics answer on that port.

# ── build: dev dependencies, the native module compiled, TypeScript compiled, dev dependencies dropped ──
FROM node:22-bookworm-slim AS build
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts scripts
COPY src src
COPY commands commands
COPY prompts prompts
COPY test/fixtures/eval test/fixtures/eval
RUN npm run build && npm prune --omit=dev

# ── run: only what production needs ──
FROM node:22-bookworm-slim
ENV NODE_ENV=production KAIROS_DB=/data/kairos.db LOG_FORMAT=json KAIROS_HTTP_HOST=0.0.0.0
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
RUN mkdir -p /data && chown node:node /data
VOLUME /data
USER node
# SIGTERM (docker stop) is a clean stop.
STOPSIGNAL SIGTERM
# The heap collects before it grows past ~200 MB (the same flags as npm start): memory stays flat.
CMD ["node", "--max-old-space-size=192", "--max-semi-space-size=8", "--no-regexp-tier-up", "dist/src/main.js"]
