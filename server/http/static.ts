// The built React client: brotli/gzip files precompressed at build (vite-plugin-compression2),
// hashed assets cached for a year, the HTML shell always revalidated, security headers (helmet)
// with a CSP the app passes, and no source maps in production.
import type { IncomingMessage, ServerResponse } from "node:http";
import helmet from "helmet";
import sirv from "sirv";
import type { Config } from "../config.ts";

/** Vite puts every content-hashed file under assets/; a new build means new names. */
const HASHED = /^\/assets\//;
export const IMMUTABLE = "public, max-age=31536000, immutable";
/** The HTML shell names the current hashed assets, so it is revalidated on every load (ETag). */
export const REVALIDATE = "no-cache";

export type ClientHandler = (req: IncomingMessage, res: ServerResponse, notFound: () => void) => void;

export function createClientHandler(dir: string, config: Pick<Config, "NODE_ENV">): ClientHandler {
  const production = config.NODE_ENV === "production";
  const securityHeaders = helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "script-src-attr": ["'none'"],
        // Inline styles are allowed: the toast library (sonner) injects its <style> element at
        // run time. Scripts stay same-origin only, which is where CSP earns its keep.
        "style-src": ["'self'", "'unsafe-inline'"],
        // The favicon is a data: URL in index.html.
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        // /graphql over HTTP and WebSocket on the same origin.
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        // No upgrade-insecure-requests: on plain http (local, or TLS ended before us) it would
        // turn the app's ws:// into wss:// and break subscriptions.
      },
    },
    frameguard: { action: "deny" },
    referrerPolicy: { policy: "strict-origin-when-cross-origin" },
  });
  const files = sirv(dir, {
    single: true,
    etag: true,
    brotli: true,
    gzip: true,
    // Set on 200s only: a 404 for a missing asset must not be cached for a year.
    setHeaders: (res, pathname) => {
      if (HASHED.test(pathname)) res.setHeader("Cache-Control", IMMUTABLE);
    },
  });

  return (req, res, notFound) => {
    securityHeaders(req, res, (err?: unknown) => {
      if (err) return notFound();
      const pathname = (req.url ?? "/").split("?")[0] ?? "/";
      // Built with hidden source maps (no sourceMappingURL); production does not hand them out.
      if (production && pathname.endsWith(".map")) return notFound();
      res.setHeader("Cache-Control", REVALIDATE);
      files(req, res, notFound);
    });
  };
}
