import { act, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { applyEvent, initialProgress, type ProgressEvent, stagesOf } from "../../client/src/lib/analysisProgress.ts";
import { parseCsvExport, parseFile, parseJsonExport, parsePasted } from "../../client/src/lib/contentImport.ts";
import { AnalysesScreen } from "../../client/src/screens/analyses/AnalysesScreen.tsx";
import { mockApi, queuedProgress, renderScreen, reply } from "./kit.tsx";
import { wsFake } from "./ws-fake.ts";

vi.mock("graphql-ws", () => import("./ws-fake.ts"));

beforeEach(() => wsFake.reset());

const ev = (
  seq: number,
  status: ProgressEvent["status"],
  stage: string,
  percent: number,
  items?: [number, number],
) => ({
  seq,
  status,
  stage,
  percent,
  itemsDone: items?.[0] ?? 0,
  itemsTotal: items?.[1] ?? 0,
  done: ["complete", "failed", "cancelled"].includes(status),
});

describe("progress state", () => {
  it("applies events in seq order and ignores repeats and older ones", () => {
    let s = applyEvent(null, ev(3, "running", "collecting", 5));
    s = applyEvent(s, ev(5, "running", "analyzing:text", 40, [10, 20]));
    const same = applyEvent(s, ev(4, "running", "collecting", 5));
    expect(same).toBe(s);
    expect(s.percent).toBe(40);
    expect(s.sources.text?.fraction).toBe(0.5);
  });

  it("derives each stage's state, with parallel sources, from numbers alone", () => {
    const sources = ["text", "twitter"];
    let s = initialProgress(ev(1, "queued", "queued", 0));
    expect(stagesOf(sources, s).map((x) => x.state)).toEqual([
      "active",
      "pending",
      "pending",
      "pending",
      "pending",
      "pending",
    ]);
    s = applyEvent(s, ev(2, "running", "analyzing:text", 30, [5, 10]));
    s = applyEvent(s, ev(3, "running", "analyzing:twitter", 50, [8, 8]));
    const mid = stagesOf(sources, s);
    expect(mid.map((x) => [x.key, x.state])).toEqual([
      ["queued", "done"],
      ["collecting", "done"],
      ["analyzing:text", "active"],
      ["analyzing:twitter", "done"],
      ["aggregating", "pending"],
      ["complete", "pending"],
    ]);
    expect(mid[2]?.fraction).toBe(0.5);
    expect(mid[3]?.fraction).toBe(1);
    s = applyEvent(s, ev(6, "complete", "complete", 100));
    expect(stagesOf(sources, s).every((x) => x.state === "done")).toBe(true);
  });

  it("marks where a failed run stopped", () => {
    let s = applyEvent(null, ev(2, "running", "analyzing:text", 20));
    s = applyEvent(s, ev(3, "failed", "failed", 20));
    const stages = stagesOf(["text"], s);
    expect(stages.find((x) => x.key === "analyzing:text")?.state).toBe("failed");
    expect(stages.find((x) => x.key === "collecting")?.state).toBe("done");
    expect(stages.find((x) => x.key === "complete")?.state).toBe("pending");
  });
});

describe("content import parsing", () => {
  it("splits pasted text by paragraph, line or not at all", () => {
    const text = "first post\nstill first\n\n  second post  \n\n\n";
    expect(parsePasted(text).items.map((i) => i.text)).toEqual(["first post\nstill first", "second post"]);
    expect(parsePasted(text, "line").items).toHaveLength(3);
    expect(parsePasted(text, "whole").items).toHaveLength(1);
  });

  it("reads an X archive (tweets.js) with ids and dates", () => {
    const archive = `window.YTD.tweets.part0 = [
      { "tweet": { "id_str": "1", "full_text": "hello world", "created_at": "Wed Oct 10 20:19:24 +0000 2018" } },
      { "tweet": { "id_str": "2", "full_text": "" } }
    ]`;
    const r = parseFile("tweets.js", archive);
    expect(r.items).toEqual([{ text: "hello world", externalId: "1", postedAt: "2018-10-10T20:19:24.000Z" }]);
    expect(r.skipped).toBe(1);
  });

  it("reads Facebook-style and plain JSON lists", () => {
    const fb = JSON.stringify([{ timestamp: 1700000000, data: [{ post: "at the beach" }] }]);
    expect(parseJsonExport(fb).items[0]).toEqual({
      text: "at the beach",
      externalId: null,
      postedAt: "2023-11-14T22:13:20.000Z",
    });
    expect(parseJsonExport(JSON.stringify({ posts: ["a", "b"] })).items.map((i) => i.text)).toEqual(["a", "b"]);
    expect(() => parseJsonExport("not json")).toThrow(/no JSON/);
  });

  it("reads CSV with quotes and a text column", () => {
    const csv = 'id,text,date\n1,"hello, ""friend""",2024-01-02\n2,"two\nlines",\n';
    expect(parseCsvExport(csv).items).toEqual([
      { text: 'hello, "friend"', externalId: "1", postedAt: "2024-01-02T00:00:00.000Z" },
      { text: "two\nlines", externalId: "2", postedAt: null },
    ]);
    expect(() => parseCsvExport("a,b\n1,2")).toThrow(/No text column/);
  });
});

const emptyPage = { edges: [], pageInfo: { hasNextPage: false } };

describe("analyses screen", () => {
  it("imports pasted content in batches of 500", async () => {
    const api = mockApi({
      ContentItems: { data: { contentItems: emptyPage } },
      AgentChoices: { data: { myAgents: { edges: [] } } },
      AnalysisRuns: { data: { analysisRuns: { edges: [] } } },
      ImportContent: reply(({ items }) => ({
        data: { importContent: { imported: (items as unknown[]).length - 1, duplicates: 1 } },
      })),
    });
    renderScreen(<AnalysesScreen />);
    const form = screen.getByRole("form", { name: "1. Import content" });
    await userEvent.selectOptions(within(form).getByLabelText("One item per"), "line");
    const lines = Array.from({ length: 501 }, (_, i) => `post ${i}`).join("\n");
    // Typing 501 lines is slow; paste them.
    await userEvent.click(within(form).getByLabelText("Posts or texts"));
    await userEvent.paste(lines);
    await within(form).findByText("501 items ready");
    await userEvent.click(within(form).getByRole("button", { name: "Import" }));
    await within(form).findByText("Imported 499 items, 2 already there.");
    const calls = api.calls("ImportContent");
    expect(calls.map((c) => (c.variables.items as unknown[]).length)).toEqual([500, 1]);
    expect(calls[0]?.variables.source).toBe("text");
  });

  it("deletes an imported item and reloads the list", async () => {
    const item = {
      id: "c1",
      source: "twitter",
      text: "Honestly I overstayed my visa",
      createdAt: "2026-01-01T00:00:00Z",
    };
    let items = [item];
    const api = mockApi({
      ContentItems: reply(() => ({
        data: { contentItems: { edges: items.map((node) => ({ node })), pageInfo: { hasNextPage: false } } },
      })),
      AgentChoices: { data: { myAgents: { edges: [] } } },
      AnalysisRuns: { data: { analysisRuns: { edges: [] } } },
      DeleteContent: reply(() => {
        items = [];
        return { data: { deleteContent: 1 } };
      }),
    });
    renderScreen(<AnalysesScreen />);
    await userEvent.click(await screen.findByRole("button", { name: /delete imported item/i }));
    await screen.findByText("Nothing imported yet.");
    expect(api.calls("DeleteContent")[0]?.variables).toEqual({ ids: ["c1"] });
  });

  it("follows a run live through analysisProgress, then shows the grades", async () => {
    const run = {
      id: "run1",
      ...queuedProgress,
      sources: ["text"],
      overallGrade: null,
      overallScore: null,
      errorCode: null,
      errorMessage: null,
      cancelRequested: false,
      createdAt: "2026-01-01T00:00:00Z",
      startedAt: null,
      finishedAt: null,
      tokensUsed: 0,
      scorer: null,
      results: [] as unknown[],
    };
    const api = mockApi({ AnalysisRunDetail: { data: { analysisRun: run } } });
    renderScreen(<AnalysesScreen runId="run1" />);
    await screen.findByText("Queued", { selector: "h2 *, h2" });
    const sub = await waitFor(() => {
      const s = wsFake.active("AnalysisProgress")[0];
      if (!s) throw new Error("not subscribed yet");
      return s;
    });
    expect(sub.payload.variables).toEqual({ runId: "run1" });
    const bar = screen.getByTestId("analysis-progress");
    const push = (e: ReturnType<typeof ev>) =>
      act(() =>
        sub.sink.next({ data: { analysisProgress: { __typename: "AnalysisProgressEvent", runId: "run1", ...e } } }),
      );

    push(ev(2, "running", "collecting", 5, [0, 10]));
    expect(bar.dataset.percent).toBe("5");
    push(ev(3, "running", "analyzing:text", 47, [5, 10]));
    expect(bar.dataset.percent).toBe("47");
    expect(screen.getByRole("list", { name: "Stages" }).textContent).toContain("Analysing texts 50%");
    push(ev(2, "running", "collecting", 5)); // a late repeat changes nothing
    expect(bar.dataset.percent).toBe("47");

    api.set("AnalysisRunDetail", {
      data: {
        analysisRun: {
          ...run,
          status: "complete",
          stage: "complete",
          percent: 100,
          seq: 5,
          done: true,
          overallGrade: "C",
          overallScore: 45,
          results: [
            {
              source: "text",
              grade: "C",
              riskScore: 45,
              itemCount: 10,
              summary: "1 of 10 items flagged",
              flaggedItems: [
                {
                  contentItemId: "c1",
                  excerpt: "I overstayed my visa",
                  score: 7.5,
                  reasons: [
                    {
                      category: "immigration",
                      rule: "immigration.overstay",
                      severity: 7.5,
                      term: "overstayed",
                      why: "Visa terms",
                    },
                  ],
                },
              ],
            },
          ],
        },
      },
    });
    push(ev(5, "complete", "complete", 100, [10, 10]));
    expect(bar.dataset.percent).toBe("100");
    await screen.findByRole("img", { name: "Overall grade C" });
    expect(screen.getByRole("img", { name: "Texts grade C" })).toBeTruthy();
    await userEvent.click(screen.getByText("Flagged items (1)"));
    expect(screen.getByText(/Visa terms/)).toBeTruthy();
    // No polling: the run was loaded once, and once more for its results.
    expect(api.calls("AnalysisRunDetail")).toHaveLength(2);
  });
});
