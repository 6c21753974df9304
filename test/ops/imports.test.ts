// No import circle in the server or the client: a circle means two modules that cannot be read,
// tested or changed apart (issue 9). esbuild reads and resolves the imports; this file only walks
// the graph it reports. Type-only imports count too (a circle through `import type` still ties
// two modules together), so they are loaded as value imports with verbatimModuleSyntax, which
// keeps every import statement in the graph.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { build } from "esbuild";
import { describe, expect, it } from "vitest";

const root = new URL("../..", import.meta.url).pathname;

function sources(dir: string): string[] {
  return readdirSync(join(root, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && /\.tsx?$/.test(e.name) && !e.name.endsWith(".d.ts"))
    .map((e) => join(e.parentPath, e.name))
    .filter((p) => !p.includes("/generated/") && !p.includes("/gql/"));
}

async function importGraph(dir: string): Promise<Map<string, string[]>> {
  const result = await build({
    entryPoints: sources(dir),
    absWorkingDir: root,
    bundle: true,
    write: false,
    metafile: true,
    packages: "external",
    platform: "node",
    format: "esm",
    outdir: "out",
    // Shared code in chunks: without it each of the ~200 entry points got a bundle of everything it
    // reaches (5.7 s of the server's graph; 0.6 s with).
    splitting: true,
    logLevel: "silent",
    loader: { ".css": "empty", ".svg": "empty", ".png": "empty" },
    tsconfigRaw: { compilerOptions: { verbatimModuleSyntax: true } },
    plugins: [
      {
        name: "type-imports-as-edges",
        setup(b) {
          b.onLoad({ filter: /\.tsx?$/ }, (args) => ({
            contents: readFileSync(args.path, "utf8")
              .replace(/\bimport type\s+/g, "import ")
              .replace(/\bexport type\s*\{/g, "export {"),
            loader: args.path.endsWith("x") ? "tsx" : "ts",
          }));
        },
      },
    ],
  });
  const graph = new Map<string, string[]>();
  for (const [file, input] of Object.entries(result.metafile.inputs)) {
    if (!file.startsWith(dir)) continue;
    graph.set(
      file,
      input.imports.map((i) => i.path).filter((p) => p.startsWith(dir) && !p.includes("/generated/")),
    );
  }
  return graph;
}

/** Every circle, each as the path that closes it. */
function circles(graph: Map<string, string[]>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (file: string) => {
    state.set(file, "open");
    stack.push(file);
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === "open") found.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(file, "done");
  };
  for (const file of graph.keys()) if (!state.has(file)) visit(file);
  return found;
}

describe("imports", () => {
  for (const dir of ["server", "client/src"]) {
    it(`form no circle in ${dir}/`, async () => {
      const graph = await importGraph(dir);
      expect(graph.size).toBeGreaterThan(20);
      expect(circles(graph).map((c) => c.join(" -> "))).toEqual([]);
    });
  }
});
