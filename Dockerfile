# One image for every MedTrack process; compose picks the entry file per service.
FROM oven/bun:1
WORKDIR /app
COPY package.json bun.lock bunfig.toml ./
COPY test/openapi-typescript/package.json ./test/openapi-typescript/
COPY patches ./patches
RUN bun install --frozen-lockfile --production
COPY . .
ENV NODE_ENV=production
CMD ["bun", "scripts/migrate.ts"]
