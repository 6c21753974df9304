#!/bin/sh
# Stand-in for the native schema engine: `prisma generate` never runs it, and migrations
# go through @prisma/schema-engine-wasm (server/db/engine.ts).
echo "use npm run db:migrate (WASM engine)" >&2
exit 1
