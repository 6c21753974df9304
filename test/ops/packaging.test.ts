// What `npm ci` and `docker compose up --build` depend on, checked without Docker: the lock file
// is complete for every platform, and the Dockerfile and compose file pass maintained linters
// (dockerfile-utils, the Dockerfile checker of VS Code's Docker tools; dclint, which validates
// against the Compose specification's JSON schema) and keep the shape operations rely on.
import { readFileSync } from "node:fs";
import { DCLinter } from "dclint";
import { DockerfileParser } from "dockerfile-ast";
import { validate } from "dockerfile-utils";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), "utf8");

describe("package-lock.json", () => {
  it("holds every optional per-platform package (biome, esbuild, rolldown, lightningcss, argon2, …)", () => {
    const lock = JSON.parse(read("package-lock.json")) as {
      packages: Record<string, { version?: string; optionalDependencies?: Record<string, string> }>;
    };
    const missing: string[] = [];
    let checked = 0;
    for (const [path, pkg] of Object.entries(lock.packages)) {
      for (const dep of Object.keys(pkg.optionalDependencies ?? {})) {
        // npm looks in the package's own node_modules, then in each folder above it.
        const parts = path.split("/node_modules/");
        const found =
          parts.some(
            (_, i) => lock.packages[`${parts.slice(0, parts.length - i).join("/node_modules/")}/node_modules/${dep}`],
          ) || lock.packages[`node_modules/${dep}`];
        checked++;
        if (!found) missing.push(`${path} -> ${dep}`);
      }
    }
    expect(checked).toBeGreaterThan(50);
    expect(missing).toEqual([]);
  });
});

describe("server/Dockerfile", () => {
  const text = read("server/Dockerfile");

  it("passes the Dockerfile linter, which does catch a broken one", () => {
    expect(validate(text)).toEqual([]);
    expect(validate("FROM node:24\nEXPOSE port\nHEALTHCHECK --interval=soon CMD true\n").length).toBeGreaterThan(0);
  });

  it("builds in stages, ships production dependencies only, runs unprivileged with a health check", () => {
    const instructions = DockerfileParser.parse(text).getInstructions();
    const froms = instructions.filter((i) => i.getKeyword() === "FROM").map((i) => i.getArgumentsContent() ?? "");
    expect(froms.length).toBeGreaterThanOrEqual(3);
    // One Node: the base image's. No stage installs another.
    expect(froms.filter((f) => /^node:/.test(f))).toHaveLength(1);
    const runs = instructions.filter((i) => i.getKeyword() === "RUN").map((i) => i.getArgumentsContent() ?? "");
    expect(runs.every((r) => !/npm (ci|install)\b/.test(r) || r.includes("--ignore-scripts"))).toBe(true);
    expect(runs.some((r) => /npm ci --omit=dev/.test(r))).toBe(true);

    const lastFrom = instructions.map((i) => i.getKeyword()).lastIndexOf("FROM");
    const runtime = instructions.slice(lastFrom + 1);
    // Whole instructions, flags included (COPY --from=…).
    const keyword = (k: string) => runtime.filter((i) => i.getKeyword() === k).map((i) => i.getTextContent());
    expect(keyword("COPY").some((c) => /--from=deps \/app\/node_modules/.test(c))).toBe(true);
    expect(keyword("COPY").some((c) => /--from=build .*node_modules/.test(c))).toBe(false);
    expect(keyword("USER")).toEqual(["USER node"]);
    expect(keyword("HEALTHCHECK")[0]).toContain("/healthz");
    expect(keyword("ENV").join(" ")).toContain("NODE_ENV=production");
  });

  it("runs what `npm start` runs, with the same node flags", () => {
    const cmd = DockerfileParser.parse(text)
      .getInstructions()
      .filter((i) => i.getKeyword() === "CMD")
      .at(-1)
      ?.getArgumentsContent();
    const { scripts } = JSON.parse(read("package.json")) as { scripts: Record<string, string> };
    expect(JSON.parse(cmd ?? "[]")).toEqual(scripts.start!.split(" "));
  });
});

describe("docker-compose.yml", () => {
  it("passes dclint: the Compose schema and its rules", () => {
    // The repo's .dclintrc.json, as `npx dclint docker-compose.yml` reads it: every rule at its
    // default level, ports quoted with double quotes as the formatter writes them.
    const linter = new DCLinter(JSON.parse(read(".dclintrc.json")));
    const [result] = linter.lintFiles(["docker-compose.yml"], false);
    expect(result?.messages).toEqual([]);
  });

  it("migrates once, before any API instance starts, and gives each what it needs", () => {
    const compose = parseYaml(read("docker-compose.yml"), { merge: true }) as {
      services: Record<string, Record<string, any>>;
    };
    const { migrate, ...others } = compose.services;
    expect(migrate?.restart).toBe("no");
    expect(migrate?.command.join(" ")).toContain("server/scripts/migrate.ts");
    expect(migrate?.environment.DATABASE_URL).toMatch(/^postgresql:\/\/.*@postgres:5432\//);
    expect(migrate?.depends_on.postgres.condition).toBe("service_healthy");

    const apis = Object.entries(others).filter(([, s]) => s.build);
    expect(apis.map(([name]) => name)).toEqual(["api-1", "api-2"]);
    for (const [, api] of apis) {
      expect(api.depends_on.migrate.condition).toBe("service_completed_successfully");
      expect(api.depends_on.redis.condition).toBe("service_healthy");
      expect(api.environment).toMatchObject({ NODE_ENV: "production", REDIS_URL: "redis://redis:6379" });
      expect(api.environment.DATABASE_URL).toBe(migrate?.environment.DATABASE_URL);
      // Files go to the MinIO service, whose bucket exists before any instance starts.
      expect(api.environment).toMatchObject({
        STORAGE_BACKEND: "s3",
        S3_URL: "http://minio:9000",
        S3_BUCKET: "userplane",
      });
      expect(api.depends_on["minio-bucket"].condition).toBe("service_completed_successfully");
    }
    expect(others.minio?.healthcheck).toBeDefined();
    expect(others["minio-bucket"]?.depends_on.minio.condition).toBe("service_healthy");
    expect(others["minio-bucket"]?.command.join(" ")).toContain("mc mb --ignore-existing local/userplane");
  });
});
