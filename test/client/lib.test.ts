import { CombinedError } from "urql";
import { describe, expect, it } from "vitest";
import { niceMax } from "../../client/src/components/charts.tsx";
import { fileProblem, parsePasted } from "../../client/src/lib/contentImport.ts";
import { errorMessage, fieldErrors, formErrorMessage } from "../../client/src/lib/errors.ts";
import { attributionFrom, safeNext, signInPath } from "../../client/src/lib/next.ts";
import { makeFormatters, parsePreferences } from "../../client/src/lib/preferences.tsx";
import { matchPath } from "../../client/src/lib/router.tsx";
import { retryWaitMs } from "../../client/src/lib/urql.ts";
import { groupFlagged } from "../../client/src/screens/analyses/FlaggedItems.tsx";
import { progressDetail } from "../../client/src/screens/analyses/Results.tsx";

const gql = (errors: { message: string; extensions?: Record<string, unknown> }[]) =>
  new CombinedError({ graphQLErrors: errors.map((e) => ({ ...e, extensions: e.extensions ?? {} })) as never });

describe("errors", () => {
  it("maps validation issues to fields, capitalised", () => {
    const error = gql([
      {
        message: "email: must be an email address",
        extensions: {
          code: "BAD_USER_INPUT",
          field: "email",
          issues: [
            { field: "email", message: "must be an email address" },
            { field: "password", message: "must be at least 10 characters" },
          ],
        },
      },
    ]);
    expect(fieldErrors(error)).toEqual({
      email: "Must be an email address",
      password: "Must be at least 10 characters",
    });
    expect(formErrorMessage(error)).toBe("Please correct the fields marked below.");
  });

  it("spells out errors on fields the form does not mark inline", () => {
    const error = gql([
      {
        message: "input.preferences.defaultView: Invalid option",
        extensions: {
          code: "BAD_USER_INPUT",
          issues: [{ field: "input.preferences.defaultView", message: "invalid option" }],
        },
      },
    ]);
    expect(formErrorMessage(error, ["theme"])).toBe("Default view: Choose one of the offered options.");
    expect(formErrorMessage(error, ["defaultView"])).toBe("Please correct the fields marked below.");
  });

  it("uses the last path segment of a nested field", () => {
    const error = gql([
      { message: "input.memoryKey is required", extensions: { code: "BAD_USER_INPUT", field: "input.memoryKey" } },
    ]);
    expect(fieldErrors(error)).toEqual({ memoryKey: "This is required." });
  });

  it("words the server's developer messages for people", () => {
    const tooLong = gql([
      {
        message: "input.content: Too big: expected string to have <=100 characters",
        extensions: {
          code: "BAD_USER_INPUT",
          field: "input.content",
          issues: [{ field: "input.content", message: "Too big: expected string to have <=100 characters" }],
        },
      },
    ]);
    expect(fieldErrors(tooLong)).toEqual({ content: "Use at most 100 characters." });
    expect(errorMessage(tooLong)).toBe("Content: Use at most 100 characters.");
    expect(
      errorMessage(
        gql([
          { message: "id: not a valid ID of the expected type", extensions: { code: "BAD_USER_INPUT", field: "id" } },
        ]),
      ),
    ).not.toMatch(/ID of the expected type/);
    expect(
      formErrorMessage(
        gql([
          { message: "id: not a valid ID of the expected type", extensions: { code: "BAD_USER_INPUT", field: "id" } },
        ]),
      ),
    ).toBe("This refers to something that doesn't exist (any more).");
    const nothing = gql([
      {
        message: "There is no content to analyse: import posts or texts first (importContent).",
        extensions: { code: "BAD_USER_INPUT", field: "sources" },
      },
    ]);
    expect(errorMessage(nothing)).toBe("There is nothing to analyse yet: import some posts or texts first.");
    const limited = gql([
      {
        message: "Too many attempts. Try again in 895 s.",
        extensions: { code: "RATE_LIMITED", retryAfterSeconds: 895 },
      },
    ]);
    expect(errorMessage(limited)).toBe("Too many attempts. Try again in about 15 minutes.");
  });

  it("shows the server's message for other errors, and a plain one for network errors", () => {
    expect(
      errorMessage(gql([{ message: "Email or password is incorrect.", extensions: { code: "UNAUTHENTICATED" } }])),
    ).toBe("Email or password is incorrect.");
    expect(errorMessage(new CombinedError({ networkError: new Error("fetch failed") }))).toMatch(
      /can't reach the server/i,
    );
    expect(errorMessage(null)).toBeNull();
  });
});

describe("chart scale", () => {
  it("fits the data, however small", () => {
    expect(niceMax([0.06, 0.02])).toBeCloseTo(0.1);
    expect(niceMax([730])).toBe(1000);
    expect(niceMax([180, 40])).toBe(200);
    expect(niceMax([0, 0])).toBe(1);
  });
});

describe("import checks", () => {
  it("an empty box has nothing ready and nothing skipped", () => {
    expect(parsePasted("")).toEqual({ items: [], skipped: 0, notes: [] });
    expect(parsePasted("one\n\n\n\ntwo").items).toHaveLength(2);
  });

  it("refuses images and other binaries whatever their name", () => {
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a]);
    expect(fileProblem({ name: "posts.txt", type: "text/plain" }, png)).toMatch(/PNG image/);
    expect(fileProblem({ name: "photo.jpg", type: "image/jpeg" }, new Uint8Array([1, 2]))).toMatch(/not a text file/);
    expect(
      fileProblem({ name: "tweets.js", type: "text/javascript" }, new TextEncoder().encode("window.YTD")),
    ).toBeNull();
  });
});

describe("analysis results", () => {
  const flagged = (excerpt: string, score: number) => ({ contentItemId: excerpt + score, excerpt, score, reasons: [] });

  it("groups near-identical flagged texts, highest score first", () => {
    const groups = groupFlagged([
      flagged("Buy now!!! 50% off #1", 2),
      flagged("buy now 70% off #2", 3),
      flagged("Something else", 5),
    ] as never);
    expect(groups.map((g) => [g.count, g.topScore])).toEqual([
      [1, 5],
      [2, 3],
    ]);
  });

  it("says a cancelled run's state once", () => {
    const text = progressDetail({
      status: "cancelled",
      stage: "cancelled",
      message: "Cancelled",
      percent: 11,
    } as never);
    expect(text.match(/cancel/gi)).toHaveLength(1);
  });
});

describe("next location", () => {
  it("keeps same-origin paths and refuses others", () => {
    expect(safeNext("/memories?type=fact")).toBe("/memories?type=fact");
    expect(safeNext("//evil.example")).toBe("/");
    expect(safeNext("https://evil.example")).toBe("/");
    expect(safeNext("/signin?next=/x")).toBe("/");
    expect(safeNext(null)).toBe("/");
  });

  it("builds the sign-in path with the location to come back to", () => {
    expect(signInPath("/analyses/abc")).toBe("/signin?next=%2Fanalyses%2Fabc");
    expect(signInPath("/")).toBe("/signin");
  });

  it("reads utm parameters and the referrer", () => {
    expect(attributionFrom("?utm_source=news&utm_campaign=launch", "https://ref.example/")).toEqual({
      utmSource: "news",
      utmMedium: undefined,
      utmCampaign: "launch",
      referrerUrl: "https://ref.example/",
    });
    expect(attributionFrom("", "")).toBeUndefined();
  });
});

describe("preferences", () => {
  it("reads the seed's snake_case keys and falls back to valid defaults", () => {
    const p = parsePreferences({
      theme: "dark",
      language: "de",
      timezone: "Europe/Berlin",
      sidebar_collapsed: true,
      default_view: "list",
      animations_enabled: false,
    });
    expect(p).toEqual({
      theme: "dark",
      language: "de",
      timezone: "Europe/Berlin",
      sidebarCollapsed: true,
      defaultView: "list",
      animationsEnabled: false,
    });
    const fallback = parsePreferences({ theme: "neon", timezone: "Mars/Olympus", default_view: "nowhere" });
    expect(fallback.theme).toBe("system");
    expect(fallback.timezone).not.toBe("Mars/Olympus");
    expect(fallback.defaultView).toBe("grid");
  });

  it("formats dates in the chosen time zone and numbers in the chosen language", () => {
    const tokyo = makeFormatters(parsePreferences({ language: "en-GB", timezone: "Asia/Tokyo" }));
    const utc = makeFormatters(parsePreferences({ language: "en-GB", timezone: "UTC" }));
    expect(tokyo.dateTime("2026-01-01T20:00:00Z")).toContain("2 Jan 2026");
    expect(utc.dateTime("2026-01-01T20:00:00Z")).toContain("1 Jan 2026");
    expect(makeFormatters(parsePreferences({ language: "de" })).number(1234.5, 1)).toBe("1.234,5");
    // Calendar dates do not move with the time zone.
    expect(tokyo.date("2026-03-01")).toBe(utc.date("2026-03-01"));
  });
});

describe("router", () => {
  it("matches parameterised paths", () => {
    expect(matchPath("/analyses/:id", "/analyses/QW5hbHlzaXM6MQ%3D%3D")).toEqual({ id: "QW5hbHlzaXM6MQ==" });
    expect(matchPath("/analyses/:id", "/analyses")).toBeNull();
    expect(matchPath("/analyses/:id", "/agents/x")).toBeNull();
  });
});

describe("live connection retry", () => {
  it("backs off exponentially with jitter, capped at 8 seconds", () => {
    expect(retryWaitMs(0, () => 0)).toBe(250);
    expect(retryWaitMs(0, () => 1)).toBe(500);
    expect(retryWaitMs(3, () => 1)).toBe(4000);
    expect(retryWaitMs(50, () => 1)).toBe(8000);
    expect(retryWaitMs(50, () => 0)).toBe(4000);
  });
});
