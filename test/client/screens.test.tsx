import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { Gauge } from "../../client/src/components/charts.tsx";
import { AgentsScreen } from "../../client/src/screens/agents/AgentsScreen.tsx";
import { parseTags } from "../../client/src/screens/agents/queries.ts";
import { MemoriesScreen } from "../../client/src/screens/memories/MemoriesScreen.tsx";
import { scorePercent } from "../../client/src/screens/memories/queries.ts";
import { ProfileScreen } from "../../client/src/screens/Profile.tsx";
import { SecurityScreen, Sessions } from "../../client/src/screens/Security.tsx";
import { SignUpScreen } from "../../client/src/screens/SignUp.tsx";
import { fillMonths, UsageScreen } from "../../client/src/screens/Usage.tsx";
import { gqlError, mockApi, renderScreen, reply, setLocation } from "./kit.tsx";

vi.mock("graphql-ws", () => import("./ws-fake.ts"));

const page = <T,>(nodes: T[]) => ({
  edges: nodes.map((node) => ({ node })),
  pageInfo: { hasNextPage: false, endCursor: null },
});

const memory = (id: string, key: string, content: string, memoryType = "fact") => ({
  __typename: "Memory",
  id,
  memoryType,
  memoryKey: key,
  content,
  importanceScore: 0.5,
  accessCount: 0,
  lastAccessedAt: null,
  expiresAt: null,
  updatedAt: "2026-01-01T00:00:00Z",
});

describe("sign up", () => {
  it("with an invite link: prefills the token and hides the tenant name", async () => {
    setLocation("/signup?invite=inv-123");
    const api = mockApi({ SignUp: { data: { signUp: { token: "t", user: { id: "u" } } } } });
    renderScreen(<SignUpScreen />, { token: null });
    expect(screen.getByLabelText(/invite token/i)).toHaveProperty("value", "inv-123");
    expect(screen.queryByLabelText(/tenant name/i)).toBeNull();
    await userEvent.type(screen.getByLabelText("Your name"), "Grace");
    await userEvent.type(screen.getByLabelText("Email"), "grace@example.com");
    await userEvent.type(screen.getByLabelText("Password"), "a long password");
    await userEvent.click(screen.getByRole("button", { name: "Create account" }));
    await waitFor(() => expect(api.calls("SignUp")).toHaveLength(1));
    expect(api.calls("SignUp")[0]?.variables).toMatchObject({ inviteToken: "inv-123", tenantName: null });
  });

  it("without an invite: shows field errors from the server beside their fields", async () => {
    setLocation("/signup");
    mockApi({
      SignUp: gqlError("BAD_USER_INPUT", "password: must be at least 10 characters", {
        field: "password",
        issues: [{ field: "password", message: "must be at least 10 characters" }],
      }),
    });
    renderScreen(<SignUpScreen />, { token: null });
    await userEvent.type(screen.getByLabelText("Your name"), "Grace");
    await userEvent.type(screen.getByLabelText("Email"), "grace@example.com");
    await userEvent.type(screen.getByLabelText("Password"), "short");
    await userEvent.type(screen.getByLabelText(/tenant name/i), "Navy");
    await userEvent.click(screen.getByRole("button", { name: "Create account" }));
    const password = screen.getByLabelText("Password");
    await waitFor(() => expect(password.getAttribute("aria-invalid")).toBe("true"));
    expect(screen.getByText("Must be at least 10 characters").id).toBe(
      password.getAttribute("aria-describedby")?.split(" ")[0],
    );
  });
});

describe("memories", () => {
  it("adds a memory and lists it", async () => {
    const stored: ReturnType<typeof memory>[] = [];
    const api = mockApi({
      Memories: reply(() => ({ data: { memories: page(stored) } })),
      CreateMemory: reply(({ input }) => {
        const i = input as { memoryKey: string; content: string; memoryType: string };
        const m = memory(`m${stored.length + 1}`, i.memoryKey, i.content, i.memoryType);
        stored.push(m);
        return { data: { createMemory: m } };
      }),
    });
    renderScreen(<MemoriesScreen />);
    await screen.findByText(/no memories yet/i);
    const form = screen.getByRole("form", { name: "Add a memory" });
    await userEvent.selectOptions(within(form).getByLabelText("Type"), "preference");
    await userEvent.type(within(form).getByLabelText("Key"), "language");
    await userEvent.type(within(form).getByLabelText("Content"), "I like Rust");
    await userEvent.click(within(form).getByRole("button", { name: "Add memory" }));
    await screen.findByText('Memory "language" saved.');
    expect(api.calls("CreateMemory")[0]?.variables.input).toEqual({
      memoryType: "preference",
      memoryKey: "language",
      content: "I like Rust",
      importanceScore: 0.5,
      expiresAt: null,
    });
    const list = screen.getByRole("list", { name: "Memories" });
    await within(list).findByText("I like Rust");
  });

  it("searches by meaning and shows each hit's score", async () => {
    const api = mockApi({
      Memories: { data: { memories: page([]) } },
      SearchMemories: {
        data: {
          searchMemories: [
            { score: 0.83, memory: memory("m1", "language", "I like Rust") },
            { score: 0.12, memory: memory("m2", "city", "I live in Oslo") },
          ],
        },
      },
    });
    renderScreen(<MemoriesScreen />);
    await userEvent.type(screen.getByLabelText("Search memories"), "programming");
    await userEvent.click(screen.getByRole("button", { name: "Search" }));
    const results = await screen.findByRole("list", { name: "Search results" });
    // The 12% hit is under the relevance floor: hidden, and the screen says so.
    expect(within(results).getAllByRole("listitem")).toHaveLength(1);
    expect(within(results).getByRole("listitem").textContent).toContain("match 83%");
    await userEvent.click(screen.getByText(/1 weak match under 20% hidden/).querySelector("button") as HTMLElement);
    const items = within(screen.getByRole("list", { name: "Search results" })).getAllByRole("listitem");
    expect(items).toHaveLength(2);
    expect(items[1]?.textContent).toContain("match 12%");
    expect(api.calls("SearchMemories")[0]?.variables).toMatchObject({ query: "programming" });
  });

  it("filters by type", async () => {
    const api = mockApi({ Memories: { data: { memories: page([]) } } });
    renderScreen(<MemoriesScreen />);
    await screen.findByText(/no memories yet/i);
    const allCard = screen.getByRole("heading", { name: "All memories" }).parentElement as HTMLElement;
    await userEvent.selectOptions(within(allCard).getByLabelText("Type"), "instruction");
    await screen.findByText("No instruction memories.");
    expect(api.calls("Memories").at(-1)?.variables).toMatchObject({ memoryType: "instruction" });
  });

  it("shows an error with a retry button when loading fails", async () => {
    const api = mockApi({ Memories: gqlError("RATE_LIMITED", "Too many attempts. Try again in 3 s.") });
    renderScreen(<MemoriesScreen />);
    expect((await screen.findByRole("alert")).textContent).toContain("Too many attempts");
    api.set("Memories", { data: { memories: page([memory("m1", "k", "back again")]) } });
    await userEvent.click(screen.getByRole("button", { name: "Try again" }));
    await screen.findByText("back again");
  });

  it("turns cosine similarity into a percentage", () => {
    expect(scorePercent(0.834)).toBe(83);
    expect(scorePercent(-0.3)).toBe(0);
    expect(scorePercent(1.2)).toBe(100);
  });
});

describe("security", () => {
  it("shows a new API key's secret once, with a copy button", async () => {
    const writeText = vi.fn(async () => {});
    Object.defineProperty(navigator, "clipboard", { value: { writeText }, configurable: true });
    const key = {
      id: "k1",
      name: "CI",
      prefix: "upk_ab12",
      scopes: ["READ_PROFILE", "ANALYSIS_RUN"],
      createdAt: "2026-01-01T00:00:00Z",
      lastUsedAt: null,
      expiresAt: null,
      revokedAt: null,
    };
    const api = mockApi({
      Sessions: { data: { sessions: page([]) } },
      ApiKeys: { data: { apiKeys: page([]) } },
      CreateApiKey: { data: { createApiKey: { secret: "upk_ab12_SECRET", apiKey: key } } },
    });
    renderScreen(<SecurityScreen />);
    const form = await screen.findByRole("form", { name: "Create an API key" });
    await userEvent.type(within(form).getByLabelText("Name"), "CI");
    await userEvent.click(within(form).getByLabelText("Run analyses"));
    await userEvent.click(within(form).getByRole("button", { name: "Create key" }));
    expect((await screen.findByTestId("api-key-secret")).textContent).toBe("upk_ab12_SECRET");
    expect(api.calls("CreateApiKey")[0]?.variables).toMatchObject({
      name: "CI",
      scopes: ["READ_PROFILE", "ANALYSIS_RUN"],
    });
    await userEvent.click(screen.getByRole("button", { name: "Copy key" }));
    expect(writeText).toHaveBeenCalledWith("upk_ab12_SECRET");
    await screen.findByText("Copied");
    await userEvent.click(screen.getByRole("button", { name: "Done" }));
    expect(screen.queryByText("upk_ab12_SECRET")).toBeNull();
  });

  it("revokes another session but not the current one", async () => {
    const session = (id: string, current: boolean) => ({
      id,
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
    const api = mockApi({
      Sessions: { data: { sessions: page([session("s1", true), session("s22", false)]) } },
      ApiKeys: { data: { apiKeys: page([]) } },
      RevokeSession: { data: { revokeSession: { id: "s22", active: false, revokedAt: "2026-01-03T00:00:00Z" } } },
    });
    renderScreen(<SecurityScreen />);
    await screen.findByText("This session");
    const buttons = screen.getAllByRole("button", { name: /revoke session/i });
    expect(buttons).toHaveLength(1);
    await userEvent.click(buttons[0] as HTMLElement);
    // Asked first, in the app's own dialog.
    const dialog = await screen.findByRole("alertdialog", { name: "Sign this session out?" });
    expect(api.calls("RevokeSession")).toHaveLength(0);
    await userEvent.click(within(dialog).getByRole("button", { name: "Revoke session" }));
    await waitFor(() => expect(api.calls("RevokeSession")[0]?.variables).toEqual({ id: "s22" }));
  });
});

describe("admin sessions", () => {
  it("lists every member's sessions with who they belong to", async () => {
    const session = (id: string, displayName: string) => ({
      id,
      user: { id: `u-${id}`, displayName },
      current: false,
      active: true,
      deviceType: "mobile",
      browser: "Safari",
      os: "iOS",
      ipAddress: "10.0.0.9",
      sessionStart: "2026-01-01T00:00:00Z",
      lastSeenAt: "2026-01-02T00:00:00Z",
      expiresAt: "2026-02-01T00:00:00Z",
    });
    const api = mockApi({ Sessions: { data: { sessions: page([session("a", "Ada"), session("b", "Max")]) } } });
    renderScreen(<Sessions allInTenant />);
    await screen.findByText("Max");
    expect(screen.getByRole("heading", { name: "Sessions in this workspace" })).toBeTruthy();
    expect(screen.getByText("Ada")).toBeTruthy();
    expect(api.calls("Sessions")[0]?.variables).toMatchObject({ allInTenant: true });
    expect(screen.getAllByRole("button", { name: /revoke session/i })).toHaveLength(2);
  });
});

describe("profile", () => {
  it("saves preferences and notification settings with the API's names", async () => {
    const me = {
      id: "u1",
      displayName: "Ada",
      email: "ada@example.com",
      profile: {
        fullName: null,
        avatarUrl: null,
        avatarUploaded: false,
        jobTitle: null,
        department: null,
        organization: null,
        country: null,
        preferences: { theme: "light", language: "en", timezone: "UTC" },
        notificationSettings: { email: true, weekly_digest: false },
        twitter: "ada",
        linkedin: null,
        instagram: null,
        facebook: null,
        tiktok: null,
        updatedAt: "2026-01-01T00:00:00Z",
      },
    };
    const api = mockApi({
      Profile: { data: { me } },
      UpdateProfile: { data: { updateProfile: me } },
    });
    renderScreen(<ProfileScreen />);
    const prefs = await screen.findByRole("form", { name: "Preferences" });
    await userEvent.selectOptions(within(prefs).getByLabelText("Theme"), "dark");
    await userEvent.selectOptions(within(prefs).getByLabelText("Time zone"), "Asia/Tokyo");
    await userEvent.click(within(prefs).getByRole("button", { name: "Save preferences" }));
    await screen.findByText("Preferences saved.");
    expect(api.calls("UpdateProfile")[0]?.variables.input).toMatchObject({
      preferences: { theme: "dark", timezone: "Asia/Tokyo", language: "en" },
    });

    const notify = screen.getByRole("form", { name: "Notifications" });
    expect(within(notify).getByLabelText("A weekly digest")).toHaveProperty("checked", false);
    await userEvent.click(within(notify).getByLabelText("A weekly digest"));
    await userEvent.click(within(notify).getByRole("button", { name: "Save notification settings" }));
    await waitFor(() => expect(api.calls("UpdateProfile")).toHaveLength(2));
    expect(api.calls("UpdateProfile")[1]?.variables.input).toMatchObject({
      notificationSettings: { email: true, weeklyDigest: true },
    });

    const social = screen.getByRole("form", { name: "Social handles" });
    expect(within(social).getByLabelText("X / Twitter")).toHaveProperty("value", "ada");
  });
});

describe("usage", () => {
  it("fills months without usage with zero, oldest first", () => {
    expect(fillMonths([{ key: "2026-02", tokens: 50 }], 3, new Date("2026-03-15T00:00:00Z"))).toEqual([
      { label: "2026-01", value: 0 },
      { label: "2026-02", value: 50 },
      { label: "2026-03", value: 0 },
    ]);
  });

  it("gauges mark the alert threshold and the state", () => {
    const { container } = renderScreen(<Gauge label="Tokens" percent={85} threshold={80} />);
    const meter = screen.getByRole("meter", { name: "Tokens" });
    expect(meter.getAttribute("aria-valuetext")).toBe("85% used, alert at 80%");
    expect(container.querySelector(".gauge")?.className).toContain("alert");
  });

  it("renders quotas as gauges and usage as charts", async () => {
    mockApi({
      Usage: {
        data: {
          usage: {
            totalTokens: 1500,
            totalCost: 0.25,
            byMonth: [],
            byDay: [{ key: new Date().toISOString().slice(0, 10), tokens: 1500 }],
            byModel: [{ key: "lexicon-v1", tokens: 1500, cost: 0.25, requests: 3 }],
            byAgent: [{ key: "ua1", label: "My support", tokens: 1500 }],
            byUser: [{ key: "u1", label: "Mia", tokens: 1500 }],
            apiCallsByDay: [{ day: new Date().toISOString().slice(0, 10), calls: 7 }],
          },
        },
      },
      Quotas: {
        data: {
          quotas: page([
            {
              id: "q1",
              quotaType: "tokens",
              quotaLimit: 1000,
              currentUsage: 1500,
              usagePercentage: 150,
              alertThresholdPercentage: 80,
              alert: true,
              isExceeded: true,
              period: "month",
              periodStart: "2026-01-01",
              periodEnd: "2026-01-31",
              resetsOn: "2026-02-01",
            },
          ]),
        },
      },
    });
    renderScreen(<UsageScreen admin />);
    await screen.findByRole("meter", { name: "Tokens" });
    expect(screen.getByText(/exceeded/)).toBeTruthy();
    expect(screen.getByText(/resets/)).toBeTruthy();
    expect(screen.getByRole("figure", { name: "Cost by model (USD)" })).toBeTruthy();
    expect(screen.getByRole("figure", { name: "Tokens by agent" })).toBeTruthy();
    expect(screen.getAllByRole("rowheader", { name: "lexicon-v1" }).length).toBeGreaterThan(0);
    // The daily chart (recharts) carries its numbers as a table: today's tokens and API calls.
    const daily = screen.getByRole("figure", { name: "Tokens and API calls, last 30 days" });
    const today = within(daily).getByRole("rowheader", { name: new Date().toISOString().slice(0, 10) });
    expect(today.parentElement?.textContent).toMatch(/1,500.*7/);
    // Admins may switch to the whole workspace: the query asks for it and usage by user shows.
    expect(screen.queryByRole("figure", { name: "Tokens by user" })).toBeNull();
    await userEvent.click(screen.getByRole("checkbox", { name: "Whole workspace" }));
    await screen.findByRole("figure", { name: "Tokens by user" });
  });
});

describe("agents", () => {
  it("parses tags", () => {
    expect(parseTags(" writing, research ,, writing ")).toEqual(["writing", "research"]);
  });

  it("customises my agent: folder, tags, prompt and temperature", async () => {
    const mine = {
      id: "ua1",
      name: "Writer",
      customName: null,
      customDescription: null,
      customSystemPrompt: null,
      customTemperature: null,
      customMaxTokens: null,
      customColor: null,
      folder: null,
      tags: [],
      isFavorite: false,
      isPinned: false,
      isEnabled: true,
      archivedAt: null,
      notes: null,
      usageCount: 0,
      totalTokensUsed: 0,
      totalCostUsd: 0,
      lastUsedAt: null,
      agent: { id: "a1", name: "Writer", model: "gpt-4o-mini", temperature: 0.7 },
    };
    const api = mockApi({
      Catalogue: { data: { agents: page([]) } },
      MyAgents: { data: { myAgents: page([mine]) } },
      UpdateUserAgent: reply(({ id, input }) => ({ data: { updateUserAgent: { ...mine, id, ...(input as object) } } })),
    });
    renderScreen(<AgentsScreen />);
    await userEvent.click(await screen.findByRole("button", { name: "Favourite Writer" }));
    await waitFor(() =>
      expect(api.calls("UpdateUserAgent")[0]?.variables).toEqual({ id: "ua1", input: { isFavorite: true } }),
    );
    await userEvent.click(screen.getByRole("button", { name: "Customise" }));
    const form = screen.getByRole("form", { name: "Customise Writer" });
    await userEvent.type(within(form).getByLabelText("Folder"), "Work");
    await userEvent.type(within(form).getByLabelText("Tags"), "writing, drafts");
    await userEvent.type(within(form).getByLabelText("Custom system prompt"), "Be brief.");
    await userEvent.click(within(form).getByRole("button", { name: "Save" }));
    await waitFor(() => expect(api.calls("UpdateUserAgent")).toHaveLength(2));
    expect(api.calls("UpdateUserAgent")[1]?.variables.input).toMatchObject({
      folder: "Work",
      tags: ["writing", "drafts"],
      customSystemPrompt: "Be brief.",
      customTemperature: 0.7,
    });
  });
});
