import { defineConfig } from "prisma/config";

// Prisma CLI settings. The datasource URL is only needed by commands that talk to a server
// (e.g. `prisma migrate deploy` on a machine with the native engine).
export default defineConfig({
  schema: "./schema.prisma",
  migrations: { path: "./migrations" },
  datasource: { url: process.env.DATABASE_URL ?? "postgresql://localhost:5432/userplane" },
});
