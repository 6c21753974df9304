// The normalized cache (client/src/lib/cache.ts): one answer updates every screen showing the same
// objects, lists lose removed rows at once and re-read themselves when rows are added, and live
// queries (`@live`) travel over the WebSocket. Mocks are run through the schema (kit.tsx).
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { parse } from "graphql";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { createUrqlClient, isLiveQuery } from "../../client/src/lib/urql.ts";
import { AnalysisRunsQuery, MyAnalysisEventsSubscription } from "../../client/src/screens/analyses/queries.ts";
import { CreateWorkspaceMutation, FileWorkspacesQuery } from "../../client/src/screens/files/queries.ts";
import { MemoriesScreen } from "../../client/src/screens/memories/MemoriesScreen.tsx";
import { ApiKeys, Sessions } from "../../client/src/screens/Security.tsx";
import { mockApi, queuedProgress, renderScreen, reply } from "./kit.tsx";
import { wsFake } from "./ws-fake.ts";

vi.mock("graphql-ws", () => import("./ws-fake.ts"));

const page = <T,>(nodes: T[]) => ({
  edges: nodes.map((node) => ({ node })),
  pageInfo: { hasNextPage: false, endCursor: null },
});

const session = (id: string, displayName: string, current = false) => ({
  id,
  user: { id: `u-${displayName}`, displayName },
  current,
  active: true,
  deviceType: "desktop",
  browser: "Firefox",
  os: "Linux",
  ipAddress: `10.0.0.${id.length}`,
  sessionStart: "2026-01-01T00:00:00Z",
  lastSeenAt: "2026-01-02T00:00:00Z",
  expiresAt: "2026-02-01T00:00:00Z",
});

const memory = (id: string, key: string, content: string) => ({
  id,
  memoryType: "fact",
  memoryKey: key,
  content,
  importanceScore: 0.5,
  accessCount: 0,
  lastAccessedAt: null,
  expiresAt: null,
  updatedAt: "2026-01-01T00:00:00Z",
});

async function revokeIn(region: HTMLElement, name: RegExp) {
  await userEvent.click(within(region).getByRole("button", { name }));
  const dialog = await screen.findByRole("alertdialog");
  await userEvent.click(within(dialog).getByRole("button", { name: "Revoke session" }));
}

beforeEach(() => wsFake.reset());

describe("normalized cache", () => {
  it("a revoked session leaves every list showing it, without asking the server again", async () => {
    const mine = [session("s1", "Ada", true), session("s22", "Ada")];
    const api = mockApi({
      Sessions: reply(({ allInTenant }) => ({
        data: { sessions: page(allInTenant ? [...mine, session("s333", "Max")] : mine) },
      })),
      RevokeSession: { data: { revokeSession: { id: "s22", active: false, revokedAt: "2026-01-03T00:00:00Z" } } },
    });
    renderScreen(
      <>
        <Sessions />
        <Sessions allInTenant />
      </>,
    );
    await screen.findByText("Max");
    const [own, all] = screen.getAllByRole("region", { name: "Sessions" }) as [HTMLElement, HTMLElement];
    expect(within(own).getAllByRole("row")).toHaveLength(3);
    expect(within(all).getAllByRole("row")).toHaveLength(4);
    const reads = api.calls("Sessions").length;
    await revokeIn(own, /revoke session/i);
    await waitFor(() => expect(within(own).getAllByRole("row")).toHaveLength(2));
    expect(within(all).getAllByRole("row")).toHaveLength(3);
    expect(within(all).getByText("Max")).toBeTruthy();
    expect(api.calls("Sessions")).toHaveLength(reads);
  });

  it("a changed memory shows its new content in the list from the mutation's answer alone", async () => {
    const api = mockApi({
      Memories: { data: { memories: page([memory("m1", "project", "Works on Userplane")]) } },
      UpdateMemory: reply(({ id, input }) => {
        const i = input as { memoryKey: string; content: string };
        return { data: { updateMemory: memory(String(id), i.memoryKey, i.content) } };
      }),
    });
    renderScreen(<MemoriesScreen />);
    await screen.findByText("Works on Userplane");
    await userEvent.click(screen.getByRole("button", { name: "Edit project" }));
    const form = screen.getByRole("form", { name: "Edit memory project" });
    const content = within(form).getByLabelText("Content");
    await userEvent.clear(content);
    await userEvent.type(content, "Works on the live client");
    await userEvent.click(within(form).getByRole("button", { name: /save/i }));
    await screen.findByText("Works on the live client");
    expect(api.calls("UpdateMemory")).toHaveLength(1);
  });

  it("a deleted memory leaves the list at once, without asking the server again", async () => {
    let stored = [memory("m1", "project", "Works on Userplane"), memory("m2", "editor", "Uses vim")];
    const api = mockApi({
      Memories: reply(() => ({ data: { memories: page(stored) } })),
      DeleteMemory: reply(({ id }) => {
        stored = stored.filter((m) => m.id !== id);
        return { data: { deleteMemory: String(id) } };
      }),
    });
    renderScreen(<MemoriesScreen />);
    await screen.findByText("Uses vim");
    const reads = api.calls("Memories").length;
    await userEvent.click(screen.getByRole("button", { name: "Delete editor" }));
    await waitFor(() => expect(screen.queryByText("Uses vim")).toBeNull());
    expect(screen.getByText("Works on Userplane")).toBeTruthy();
    expect(api.calls("Memories")).toHaveLength(reads);
  });

  it("a live screen shows what the server pushes, and every screen holding the same rows follows", async () => {
    let mine = [session("s1", "Ada", true), session("s22", "Ada")];
    const api = mockApi({ Sessions: reply(() => ({ data: { sessions: page(mine) } })) });
    renderScreen(<Sessions />);
    await screen.findByText("This session");
    expect(screen.getAllByRole("row")).toHaveLength(3);
    // Over the WebSocket, not HTTP.
    expect(wsFake.active("Sessions")).toHaveLength(1);
    expect(vi.mocked(fetch)).not.toHaveBeenCalled();
    // Another device signed this session out: the server pushes the new list.
    mine = [session("s1", "Ada", true)];
    api.push("Sessions");
    await waitFor(() => expect(screen.getAllByRole("row")).toHaveLength(2));
  });

  it("a created API key makes the live list read itself again, over one live query, not two", async () => {
    const key = (id: string, name: string) => ({
      id,
      name,
      prefix: `upk_${id}`,
      scopes: ["READ_PROFILE"],
      createdAt: "2026-01-01T00:00:00Z",
      lastUsedAt: null,
      expiresAt: null,
      revokedAt: null,
    });
    const keys = [key("k1", "laptop script")];
    mockApi({
      ApiKeys: reply(() => ({ data: { apiKeys: page(keys) } })),
      CreateApiKey: reply(({ name }) => {
        const k = key(`k${keys.length + 1}`, String(name));
        keys.push(k);
        return { data: { createApiKey: { secret: "upk_secret", apiKey: k } } };
      }),
    });
    renderScreen(<ApiKeys />);
    await screen.findByText("laptop script");
    const form = screen.getByRole("form", { name: "Create an API key" });
    await userEvent.type(within(form).getByLabelText("Name"), "backup job");
    await userEvent.click(within(form).getByRole("button", { name: "Create key" }));
    await within(screen.getByRole("region", { name: "API keys" })).findByText("backup job");
    expect(wsFake.active("ApiKeys")).toHaveLength(1);
  });

  it("a row added while its list is being re-read shows once that read answers", async () => {
    // Two workspaces created in quick succession: the second asks for a re-read while the one the
    // first started is still on its way, and that read began before the second was stored.
    const workspaces = [{ id: "w1", name: "Inbox", status: "active" }];
    const api = mockApi({
      FileWorkspaces: reply(() => ({ data: { workspaces: page([...workspaces]) } })),
      CreateWorkspace: reply(({ name }) => {
        const w = { id: `w${workspaces.length + 1}`, name: String(name), status: "active" };
        workspaces.push(w);
        return { data: { createWorkspace: w } };
      }),
    });
    const { client } = createUrqlClient({ token: null });
    const names = vi.fn<(names: string[]) => void>();
    const reading = client.query(FileWorkspacesQuery, {}).subscribe((r) => {
      if (r.data) names(r.data.workspaces.edges.map((e) => e.node.name));
    });
    await waitFor(() => expect(names).toHaveBeenLastCalledWith(["Inbox"]));
    const release = api.hold("FileWorkspaces");
    await client.mutation(CreateWorkspaceMutation, { name: "Drafts" }).toPromise();
    await waitFor(() => expect(api.calls("FileWorkspaces")).toHaveLength(2));
    await client.mutation(CreateWorkspaceMutation, { name: "Archive" }).toPromise();
    release();
    await waitFor(() => expect(names).toHaveBeenLastCalledWith(["Inbox", "Drafts", "Archive"]));
    expect(api.calls("FileWorkspaces")).toHaveLength(3);
    reading.unsubscribe();
  });

  it("a row pushed while its list is being re-read shows once that read answers", async () => {
    // A pushed event names a run the list does not hold while the list is being read again: that
    // read began before the run existed, so the list must be read once more after it lands
    // (graphcache defers such a re-read itself; this pins it beside the mutation case above).
    const run = (id: string) => ({
      id,
      ...queuedProgress,
      sources: ["text"],
      overallGrade: null,
      overallScore: null,
      createdAt: "2026-01-01T00:00:00Z",
      finishedAt: null,
    });
    const runs = [run("r1")];
    const api = mockApi({ AnalysisRuns: reply(() => ({ data: { analysisRuns: page([...runs]) } })) });
    const { client } = createUrqlClient({ token: "test-token" });
    const ids = vi.fn<(ids: string[]) => void>();
    const reading = client.query(AnalysisRunsQuery, {}).subscribe((r) => {
      if (r.data) ids(r.data.analysisRuns.edges.map((e) => e.node.id));
    });
    const events = client.subscription(MyAnalysisEventsSubscription, {}).subscribe(() => {});
    await waitFor(() => expect(ids).toHaveBeenLastCalledWith(["r1"]));
    const sub = await waitFor(() => {
      const s = wsFake.active("MyAnalysisEvents")[0];
      if (!s) throw new Error("not subscribed yet");
      return s;
    });
    const release = api.hold("AnalysisRuns");
    client.query(AnalysisRunsQuery, {}, { requestPolicy: "network-only" }).toPromise();
    await waitFor(() => expect(api.calls("AnalysisRuns")).toHaveLength(2));
    runs.push(run("r2"));
    sub.sink.next({ data: { myAnalysisEvents: { __typename: "AnalysisProgressEvent", runId: "r2", ...run("r2") } } });
    release();
    await waitFor(() => expect(ids).toHaveBeenLastCalledWith(["r1", "r2"]));
    reading.unsubscribe();
    events.unsubscribe();
  });

  it("knows a live query by its @live directive", () => {
    expect(isLiveQuery({ kind: "query", query: parse("query Q @live { me { id } }") })).toBe(true);
    expect(isLiveQuery({ kind: "query", query: parse("query Q { me { id } }") })).toBe(false);
    expect(isLiveQuery({ kind: "mutation", query: parse("mutation M @live { signOut }") })).toBe(false);
  });
});
