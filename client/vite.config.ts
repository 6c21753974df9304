import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// `npm run dev`: Vite on 5173 with hot reload, /graphql (HTTP and WebSocket) proxied to the API.
const api = process.env.API_URL ?? "http://localhost:4000";

export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  plugins: [react()],
  build: { outDir: "dist", emptyOutDir: true, sourcemap: true },
  server: {
    port: 5173,
    proxy: { "/graphql": { target: api, ws: true, changeOrigin: true } },
  },
});
