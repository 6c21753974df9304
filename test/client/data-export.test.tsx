// The "Export my data" section: starting an export, progress pushed by the live query, and the
// download once ready; the button waits while one is under way.
import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { DataExportSection } from "../../client/src/screens/account/DataExport.tsx";
import { mockApi, renderScreen, reply } from "./kit.tsx";

vi.mock("graphql-ws", () => import("./ws-fake.ts"));

const page = <T,>(nodes: T[]) => ({
  edges: nodes.map((node) => ({ node })),
  pageInfo: { hasNextPage: false, endCursor: null },
});

const exportRow = (over: Record<string, unknown> = {}) => ({
  __typename: "DataExport",
  id: "RGF0YUV4cG9ydDox",
  status: "queued",
  percent: 0,
  done: 0,
  total: 0,
  size: null,
  createdAt: "2026-11-29T10:00:00Z",
  expiresAt: null,
  errorMessage: null,
  ...over,
});

describe("Export my data", () => {
  it("starts an export, follows its live progress and offers the download when ready", async () => {
    let rows: ReturnType<typeof exportRow>[] = [];
    const api = mockApi({
      MyDataExports: reply(() => ({ data: { myDataExports: page(rows) } })),
      ExportMyData: reply(() => {
        rows = [exportRow()];
        return { data: { exportMyData: rows[0] } };
      }),
    });
    renderScreen(<DataExportSection />);
    await screen.findByText("No exports yet.");
    await userEvent.click(screen.getByRole("button", { name: "Export my data" }));
    expect(api.calls("ExportMyData")).toHaveLength(1);

    api.push("MyDataExports");
    await screen.findByText("waiting for a worker");
    expect(screen.getByRole("button", { name: "Export under way…" })).toHaveProperty("disabled", true);

    rows = [exportRow({ status: "running", percent: 40, done: 40, total: 100 })];
    api.push("MyDataExports");
    await screen.findByText("40 of 100 rows");
    expect(screen.getByRole("progressbar", { name: "Export progress" })).toHaveProperty("value", 40);

    rows = [
      exportRow({
        status: "ready",
        percent: 100,
        done: 100,
        total: 100,
        size: 4096,
        expiresAt: "2026-12-02T10:00:00Z",
      }),
    ];
    api.push("MyDataExports");
    await screen.findByRole("button", { name: "Download export" });
    expect(screen.getByRole("button", { name: "Export my data" })).toHaveProperty("disabled", false);
  });
});
