# syntax=docker/dockerfile:1
# Build stage: install everything, compile TypeScript.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.base.json ./
COPY libs/shared/package.json libs/shared/
COPY apps/api/package.json apps/api/
COPY apps/worker/package.json apps/worker/
COPY apps/simulator/package.json apps/simulator/
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY libs libs
COPY apps apps
RUN npx tsc -b

# Runtime stage: production dependencies and compiled output only, as a non-root user.
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
COPY libs/shared/package.json libs/shared/
COPY apps/api/package.json apps/api/
COPY apps/worker/package.json apps/worker/
COPY apps/simulator/package.json apps/simulator/
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/libs/shared/dist libs/shared/dist
COPY --from=build /app/libs/shared/lua libs/shared/lua
COPY --from=build /app/apps/api/dist apps/api/dist
COPY --from=build /app/apps/api/ui/dist apps/api/ui/dist
COPY --from=build /app/apps/api/ui/static apps/api/ui/static
COPY --from=build /app/apps/worker/dist apps/worker/dist
COPY --from=build /app/apps/simulator/dist apps/simulator/dist
USER node
EXPOSE 3000
# Liveness of the HTTP processes (all-in-one, API). The worker has no HTTP port: compose turns this off for it.
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# `npm start` in one container; compose runs apps/api/dist/main.js and apps/worker/dist/main.js instead.
CMD ["node", "apps/api/dist/all-in-one.js"]
