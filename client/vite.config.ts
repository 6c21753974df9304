import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";
import { compression } from "vite-plugin-compression2";

// `npm run dev`: Vite on 5173 with hot reload, /graphql (HTTP and WebSocket) proxied to the API.
const api = process.env.API_URL ?? "http://localhost:4000";

export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  plugins: [
    react(),
    // .br and .gz beside each file, so the server sends them without compressing per request.
    compression({ algorithms: ["brotliCompress", "gzip"], exclude: [/\.map$/] }),
  ],
  // Hidden: maps are written (for error reports) but the bundles do not point at them, and the
  // server does not hand them out in production.
  build: { outDir: "dist", emptyOutDir: true, sourcemap: "hidden" },
  server: {
    port: 5173,
    proxy: {
      "/graphql": { target: api, ws: true, changeOrigin: true },
      "/dev/mail.json": { target: api, changeOrigin: true },
      // Signed downloads, previews and avatars.
      "/files/": { target: api, changeOrigin: true },
    },
  },
});
