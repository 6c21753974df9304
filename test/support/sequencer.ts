// The order test files start in. Vitest's own runs the projects one after another in the order of
// their names (client, e2e, ops, pglite, postgres, unit) and, within one, the longest first (known
// from the last run) or the largest file first (a fresh clone). So `unit` came last, and its few
// long files (a spawned server drained on SIGTERM, the word vectors) ran at the end with a core
// idle. Here the projects go longest files first: the browser tests, the unit files, the PGlite
// files; the many short API files on PostgreSQL fill the end. Within a project vitest's order stays.
import { BaseSequencer, type TestSpecification } from "vitest/node";

const PROJECTS = ["e2e", "unit", "pglite", "ops", "client", "postgres"];

const rank = (spec: TestSpecification) => {
  const i = PROJECTS.indexOf(spec.project.name);
  return i === -1 ? PROJECTS.length : i;
};

export class ProjectOrderSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    // Array.prototype.sort is stable: each project keeps the order vitest gave its files.
    return (await super.sort(files)).sort((a, b) => rank(a) - rank(b));
  }
}
