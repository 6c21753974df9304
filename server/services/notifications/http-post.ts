// One webhook POST, bounded: http(s) only, a deadline for the whole exchange, at most
// `maxResponseBytes` of the answer read, no redirects followed, and (unless allowed) no private,
// loopback or link-local address, checked on the address actually connected to, so a name that
// resolves to one (or changes to one after the endpoint was saved) is refused too.
import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import http from "node:http";
import https from "node:https";
import { BlockList, isIP, type LookupFunction } from "node:net";

const PRIVATE = new BlockList();
for (const [net, bits] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["224.0.0.0", 4],
  ["240.0.0.0", 4],
] as const)
  PRIVATE.addSubnet(net, bits, "ipv4");
for (const [net, bits] of [
  ["::", 128],
  ["::1", 128],
  ["fc00::", 7],
  ["fe80::", 10],
  ["ff00::", 8],
  ["64:ff9b::", 96],
] as const)
  PRIVATE.addSubnet(net, bits, "ipv6");

/** Whether an IP address is private, loopback, link-local or otherwise not on the public internet. */
export function isPrivateAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped?.[1]) return PRIVATE.check(mapped[1], "ipv4");
  const family = isIP(address);
  if (family === 0) return true;
  return PRIVATE.check(address, family === 4 ? "ipv4" : "ipv6");
}

export class RefusedAddress extends Error {
  override name = "RefusedAddress";
}

/** dns.lookup that refuses private answers: used as the socket's lookup, so it judges what is dialled. */
const publicOnlyLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
    if (err) return callback(err, "", 0);
    const ok = addresses.filter((a) => !isPrivateAddress(a.address));
    if (ok.length === 0) return callback(new RefusedAddress(`${hostname} resolves to a private address`), "", 0);
    if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, ok);
    const first = ok[0] as LookupAddress;
    callback(null, first.address, first.family);
  });
};

export interface PostResult {
  status: number | null;
  /** The start of the answer (at most 1,000 characters), or what went wrong. */
  error: string | null;
}

export interface PostOptions {
  timeoutMs: number;
  maxResponseBytes: number;
  allowPrivate: boolean;
}

export function postJson(
  url: string,
  body: string,
  headers: Record<string, string>,
  o: PostOptions,
): Promise<PostResult> {
  const target = new URL(url);
  const client = target.protocol === "https:" ? https : target.protocol === "http:" ? http : null;
  if (!client) return Promise.resolve({ status: null, error: "only http and https URLs are delivered to" });
  const host = target.hostname.replace(/^\[|\]$/g, "");
  if (!o.allowPrivate && isIP(host) && isPrivateAddress(host))
    return Promise.resolve({ status: null, error: "private addresses are not delivered to" });
  return new Promise((resolve) => {
    let settled = false;
    const done = (r: PostResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    const req = client.request(
      target,
      {
        method: "POST",
        headers: { ...headers, "content-type": "application/json", "content-length": Buffer.byteLength(body) },
        agent: false,
        ...(o.allowPrivate ? {} : { lookup: publicOnlyLookup }),
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (chunk: Buffer) => {
          if (size < o.maxResponseBytes) chunks.push(chunk.subarray(0, o.maxResponseBytes - size));
          size += chunk.length;
          // Enough read: the rest is not waited for (a huge or endless answer cannot hold the worker).
          if (size >= o.maxResponseBytes) {
            res.destroy();
            finish();
          }
        });
        const finish = () => {
          const status = res.statusCode ?? null;
          const text = Buffer.concat(chunks).toString("utf8").slice(0, 1000);
          const success = status !== null && status >= 200 && status < 300;
          done({ status, error: success ? null : `HTTP ${status}${text ? `: ${text}` : ""}` });
        };
        res.on("end", finish);
        res.on("error", finish);
      },
    );
    const timer = setTimeout(() => {
      req.destroy(new Error(`no answer within ${o.timeoutMs} ms`));
    }, o.timeoutMs);
    req.on("error", (err) => done({ status: null, error: err.message.slice(0, 1000) }));
    req.end(body);
  });
}
