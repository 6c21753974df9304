// The order test files start in. Vitest's own runs the projects one after another in the order of
// their names (client, e2e, ops, pglite, postgres, unit) and, within one, the longest first (known
// from the last run) or the largest file first (a fresh clone). So `unit` came last, and its few
// long files (a spawned server drained on SIGTERM, the word vectors) ran at the end with a core
// idle. Here the projects whose long files would hold up the end go first: the browser tests, the
// unit files, PostgreSQL (its crash test and the doors' walk), PGlite; the ops and client files,
// all short, fill the end. Within a project vitest's order stays.
import { BaseSequencer, type TestSpecification } from "vitest/node";

const PROJECTS = ["e2e", "unit", "postgres", "pglite", "ops", "client"];

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
