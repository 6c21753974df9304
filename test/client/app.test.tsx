import { act, render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { App } from "../../client/src/App.tsx";
import { session } from "../../client/src/lib/session.ts";
import { gqlError, mockApi, reply, setLocation } from "./kit.tsx";
import { wsFake } from "./ws-fake.ts";

vi.mock("graphql-ws", () => import("./ws-fake.ts"));

const me = {
  id: "VXNlcjox",
  displayName: "Ada",
  email: "ada@example.com",
  profile: {
    avatarUrl: null,
    avatarUploaded: false,
    preferences: { theme: "dark", language: "en", timezone: "UTC" },
    updatedAt: "2026-01-01T00:00:00Z",
  },
  roles: [{ id: "r1", role: "member", inEffect: true }],
  totpEnabled: false,
  tenant: { id: "t1", name: "Ada's workspace", slug: "ada", requireMfa: false },
};

const emptyConnection = { edges: [], pageInfo: { hasNextPage: false, endCursor: null } };

beforeEach(() => {
  wsFake.reset();
  session.clear();
  session.takeEndedReason();
});

describe("session", () => {
  it("sends a visitor to sign in, then back where they were", async () => {
    setLocation("/memories?type=fact");
    const api = mockApi({
      SignIn: { data: { signIn: { token: "tok-1", user: { id: me.id } } } },
      Viewer: { data: { me } },
      UnreadNotificationCount: { data: { unreadNotificationCount: 0 } },
      Memories: { data: { memories: emptyConnection } },
    });
    render(<App />);
    await screen.findByRole("heading", { name: "Sign in to Userplane" });
    expect(window.location.pathname).toBe("/signin");
    expect(new URLSearchParams(window.location.search).get("next")).toBe("/memories?type=fact");

    await userEvent.type(screen.getByLabelText("Email"), "ada@example.com");
    await userEvent.type(screen.getByLabelText("Password"), "correct horse battery");
    await userEvent.click(screen.getByRole("button", { name: "Sign in" }));

    await screen.findByRole("heading", { name: "Memories", level: 1 });
    expect(window.location.pathname + window.location.search).toBe("/memories?type=fact");
    expect(api.calls("SignIn")[0]?.variables).toMatchObject({
      email: "ada@example.com",
      password: "correct horse battery",
    });
    expect(api.calls("Viewer")[0]?.headers.get("authorization")).toBe("Bearer tok-1");
    // The WebSocket carries the same token.
    expect(await (wsFake.last.connectionParams as () => Promise<unknown>)()).toEqual({ authorization: "Bearer tok-1" });
  });

  it("an expired session goes back to sign in, keeping the location, with a notice", async () => {
    session.set("expired-token");
    setLocation("/agents");
    mockApi({ Viewer: { data: { me: null } } });
    render(<App />);
    await screen.findByRole("heading", { name: "Sign in to Userplane" });
    expect(screen.getByText(/session has expired/i)).toBeTruthy();
    expect(window.location.search).toBe("?next=%2Fagents");
    expect(session.token).toBeNull();
  });

  it("any UNAUTHENTICATED answer while signed in ends the session", async () => {
    session.set("tok");
    setLocation("/memories");
    mockApi({
      Viewer: { data: { me } },
      UnreadNotificationCount: { data: { unreadNotificationCount: 0 } },
      Memories: gqlError("UNAUTHENTICATED", "Sign in to do this."),
    });
    render(<App />);
    await screen.findByRole("heading", { name: "Sign in to Userplane" });
    expect(window.location.search).toBe("?next=%2Fmemories");
  });

  it("a WebSocket closed with 4401 (session revoked elsewhere) ends the session", async () => {
    session.set("tok");
    setLocation("/profile");
    mockApi({
      Viewer: { data: { me } },
      UnreadNotificationCount: { data: { unreadNotificationCount: 0 } },
      Profile: { data: { me } },
    });
    render(<App />);
    await screen.findByRole("navigation", { name: "Main" });
    act(() => wsFake.last.on?.closed?.({ code: 4401, reason: "Session ended" } as never));
    await screen.findByRole("heading", { name: "Sign in to Userplane" });
    expect(window.location.search).toBe("?next=%2Fprofile");
  });

  it("signing out clears the token and shows sign in without a notice", async () => {
    session.set("tok");
    setLocation("/profile");
    const api = mockApi({
      Viewer: { data: { me } },
      UnreadNotificationCount: { data: { unreadNotificationCount: 0 } },
      Profile: { data: { me } },
      // The server ends the session at once: its WebSocket closes before the answer arrives.
      SignOut: reply(() => {
        wsFake.last.on?.closed?.({ code: 4401, reason: "Session ended" } as never);
        return { data: { signOut: true } };
      }),
    });
    render(<App />);
    await userEvent.click(await screen.findByRole("button", { name: "Sign out" }));
    await screen.findByRole("heading", { name: "Sign in to Userplane" });
    expect(api.calls("SignOut")).toHaveLength(1);
    expect(session.token).toBeNull();
    expect(window.location.search).toBe("");
    expect(screen.queryByText(/session has/i)).toBeNull();
  });
});

describe("shell", () => {
  it("applies the theme, hides admin for members and opens analyses first", async () => {
    session.set("tok");
    setLocation("/");
    mockApi({
      Viewer: { data: { me: { ...me, profile: { avatarUrl: null, preferences: { theme: "dark" } } } } },
      UnreadNotificationCount: { data: { unreadNotificationCount: 0 } },
      ContentItems: { data: { contentItems: emptyConnection } },
      AgentChoices: { data: { myAgents: { edges: [] } } },
      AnalysisRuns: { data: { analysisRuns: { edges: [] } } },
    });
    render(<App />);
    await screen.findByRole("heading", { name: "Analyses", level: 1 });
    expect(window.location.pathname).toBe("/analyses");
    expect(document.documentElement.dataset.theme).toBe("dark");
    expect(screen.queryByRole("link", { name: "Admin" })).toBeNull();
    expect(screen.getByRole("link", { name: "Analyses" }).getAttribute("aria-current")).toBe("page");
  });

  it("marks live updates paused while the connection is down, then re-reads the screen once and says so", async () => {
    session.set("tok");
    setLocation("/profile");
    const api = mockApi({
      Viewer: { data: { me } },
      UnreadNotificationCount: { data: { unreadNotificationCount: 0 } },
      Profile: { data: { me } },
      // The profile screen's account sections read their own slices of `me`.
      EmailState: { data: { me: { id: me.id, email: me.email, emailVerifiedAt: "2026-01-01T00:00:00Z" } } },
      Privacy: {
        data: {
          me: {
            id: me.id,
            profile: {
              privacy: { consentGiven: true, consentGivenAt: null, dataRetentionDays: null, marketingEmails: false },
            },
          },
        },
      },
      MyDataExports: { data: { myDataExports: { edges: [] } } },
    });
    render(<App />);
    await screen.findByRole("navigation", { name: "Main" });
    await screen.findByText("Signed in as ada@example.com");
    act(() => wsFake.last.on?.connected?.({} as never, {} as never, false));
    expect(screen.queryByText(/live updates paused/i)).toBeNull();
    const before = api.calls("Profile").length;
    act(() => wsFake.last.on?.closed?.({ code: 1006, reason: "" } as never));
    expect(screen.getByText(/live updates paused/i)).toBeTruthy();
    act(() => wsFake.last.on?.connecting?.(false));
    expect(screen.getByText(/live updates paused/i)).toBeTruthy();
    // Changed while the connection was down: the catch-up must show it.
    api.set("Profile", { data: { me: { ...me, email: "ada@new.example.com" } } });
    act(() => wsFake.last.on?.connected?.({} as never, {} as never, true));
    // The live queries on screen (the bell, the exports), subscribed again on the new socket, answer
    // afresh (as the server does).
    act(() => {
      api.push("UnreadNotificationCount");
      api.push("MyDataExports");
    });
    await waitFor(() => expect(screen.queryByText(/live updates paused/i)).toBeNull());
    await screen.findByText("Signed in as ada@new.example.com");
    await screen.findByText(/live updates resumed: this screen is up to date/i);
    // Each query on screen is read once more, no more.
    expect(api.calls("Profile").length).toBe(before + 1);
    // It reconnects by itself, forever.
    expect(wsFake.last.lazy).toBe(false);
    expect(wsFake.last.retryAttempts).toBe(Number.POSITIVE_INFINITY);
  });

  it("a member who must set up two-factor sign-in sees only the set-up screen, until they continue", async () => {
    session.set("tok-2");
    setLocation("/memories");
    const must = { ...me, tenant: { ...me.tenant, requireMfa: true } };
    const api = mockApi({
      Viewer: { data: { me: must } },
      TwoFactorState: { data: { me: { id: me.id, totpEnabled: false, recoveryCodesLeft: null } } },
    });
    render(<App />);
    await screen.findByRole("heading", { name: "Set up two-factor sign-in", level: 1 });
    expect(screen.getByText(/Ada's workspace requires a code/)).toBeTruthy();
    expect(screen.queryByRole("navigation", { name: "Main" })).toBeNull();
    expect(screen.queryByRole("button", { name: "Continue" })).toBeNull();
    expect(api.calls("Memories")).toHaveLength(0);
    expect(screen.getByRole("button", { name: "Set up two-factor sign-in" })).toBeTruthy();
  });
});
