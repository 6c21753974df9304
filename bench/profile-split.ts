// Where a server's CPU went, from a V8 .cpuprofile (`CPU_PROF_DIR=dir npm run bench:compare`
// writes one per server): `npm run bench:profile-split -- FILE.cpuprofile`. Prints self time by
// layer (a frame without a script, e.g. a builtin, counts for the nearest caller that has one), then
// inclusive time of the layers one asks about most (a sample counts once per layer on its stack).
// Start-up (module loading) and idle are left out, so the split is that of serving requests.
import { readFileSync } from "node:fs";
import { loadavg } from "node:os";

interface Node {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
}

const layers: [string, RegExp][] = [
  ["access-log plugin + service", /access-log/],
  ["Pothos scope-auth", /@pothos\/plugin-scope-auth/],
  ["Pothos prisma plugin", /@pothos\/plugin-prisma|@pothos\/selection-mapper/],
  ["Pothos other plugins/core", /@pothos\//],
  ["graphql-jit", /graphql-jit|@envelop\/graphql-jit|fast-json-stringify/],
  [
    "graphql execute (graphql-js, @graphql-tools/executor)",
    /node_modules\/graphql\/(execution|jsutils|type|error)\/|@graphql-tools\/executor\//,
  ],
  ["graphql-js validate", /node_modules\/graphql\/(validation|utilities)\//],
  ["graphql-js parse", /node_modules\/graphql\/language\//],
  ["graphql-armor", /graphql-armor/],
  ["yoga / envelop / whatwg-node", /graphql-yoga|@whatwg-node|@envelop\/|@graphql-tools\/|@graphql-yoga\//],
  ["Prisma query compiler (wasm)", /^wasm:\/\/|query_compiler/],
  ["Prisma client", /@prisma\/client|\.prisma\/|server\/generated\/prisma|@prisma\/client-runtime/],
  ["Prisma pg adapter + pg", /@prisma\/adapter-pg|node_modules\/pg|pg-protocol|pg-types/],
  ["zod", /node_modules\/zod/],
  ["pino (logging)", /node_modules\/pino/],
  ["our server code", /\/server\//],
  ["node http/net/streams", /^node:/],
  ["other node_modules", /node_modules/],
];

const file = process.argv[2];
if (!file) throw new Error("usage: profile-split FILE.cpuprofile");
const profile = JSON.parse(readFileSync(file, "utf8")) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

const stackOf = (id: number): Node[] => {
  const stack: Node[] = [];
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) stack.push(byId.get(cur)!);
  return stack; // innermost first
};
const layerOf = (url: string) => layers.find(([, re]) => re.test(url))?.[0] ?? "other";

const self = new Map<string, number>();
const inclusive = new Map<string, number>();
let total = 0;
let startup = 0;
let skipped = 0;
// Wall time since the profile began, and when serving began (the first sample past start-up).
const SKIP_US = Number(process.env.SKIP_SECONDS ?? 0) * 1e6;
let clock = 0;
let servingFrom: number | null = null;
const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);

for (const [i, id] of profile.samples.entries()) {
  const dt = profile.timeDeltas[i] ?? 0;
  clock += dt;
  const stack = stackOf(id);
  const top = stack[0]!.callFrame;
  if (stack.some((n) => /node:internal\/modules|tsx\/dist|esbuild/.test(n.callFrame.url))) {
    startup += dt;
    continue;
  }
  if (top.functionName === "(idle)") continue;
  servingFrom ??= clock;
  if (clock - servingFrom < SKIP_US) {
    if (top.functionName !== "(idle)") skipped += dt;
    continue;
  }
  total += dt;
  if (top.functionName === "(garbage collector)") {
    add(self, "GC", dt);
    continue;
  }
  if (top.functionName === "(program)") {
    add(self, "(program: V8/native, no JS stack)", dt);
    continue;
  }
  const withUrl = stack.find((n) => n.callFrame.url);
  let layer = withUrl ? layerOf(withUrl.callFrame.url) : "other";
  if (!top.url && /^(stringify|parse)$/.test(top.functionName) && stack[0] !== withUrl)
    layer = `JSON.${top.functionName}`;
  add(self, layer, dt);
  const seen = new Set<string>();
  for (const n of stack) {
    if (!n.callFrame.url) continue;
    const l = layerOf(n.callFrame.url);
    if (!seen.has(l)) {
      seen.add(l);
      add(inclusive, l, dt);
    }
  }
}

const pct = (v: number) => `${((100 * v) / total).toFixed(1)}%`;
console.log(
  `${file}\nserving: ${(total / 1e6).toFixed(2)} s CPU sampled (start-up ${(startup / 1e6).toFixed(2)} s and the next ${(skipped / 1e6).toFixed(2)} s left out); load ${loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")}`,
);
console.log("\n| layer | self | inclusive |\n|---|---|---|");
for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]))
  console.log(`| ${k} | ${pct(v)} | ${inclusive.has(k) ? pct(inclusive.get(k)!) : ""} |`);
