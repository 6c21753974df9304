// Who sent a request and with which token, read the same way over HTTP and WebSocket.
import type { IncomingMessage } from "node:http";
import type { RequestInfo } from "../viewer.ts";
import { clientAddress } from "./guards.ts";

export function bearer(value: unknown): string | null {
  if (typeof value !== "string") return null;
  const m = /^Bearer\s+(.+)$/i.exec(value.trim());
  return m?.[1] ?? null;
}

/** The bearer token a graphql-ws client sent in its connection params. */
export function connectionToken(params: Record<string, unknown> | undefined): string | null {
  return bearer(params?.authorization ?? params?.Authorization);
}

export function requestInfo(
  headers: Pick<Headers, "get"> | IncomingMessage["headers"],
  ip: string | null,
  proxyHops: number,
): RequestInfo {
  // Duck-typed: yoga's in-process fetch brings its own Headers class.
  const get = (name: string): string | null =>
    typeof headers.get === "function"
      ? (headers as Pick<Headers, "get">).get(name)
      : (((headers as IncomingMessage["headers"])[name] as string | undefined) ?? null);
  return {
    ip: clientAddress(get("x-forwarded-for"), ip, proxyHops),
    userAgent: get("user-agent"),
    referrer: get("referer"),
  };
}
