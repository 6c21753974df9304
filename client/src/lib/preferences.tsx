// The signed-in user's UI preferences (stored in Profile.preferences with the seed's snake_case keys),
// applied to the document and to every date and number the UI prints.
import { createContext, type ReactNode, useContext, useEffect, useMemo } from "react";
import { useMediaQuery } from "./media.ts";

export interface Preferences {
  theme: "light" | "dark" | "system";
  language: string;
  timezone: string;
  sidebarCollapsed: boolean;
  /** How lists of cards are laid out (the seed's default_view). */
  defaultView: "grid" | "list";
  animationsEnabled: boolean;
}

export function browserTimezone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  } catch {
    return "UTC";
  }
}

const str = (v: unknown) => (typeof v === "string" && v.trim() ? v : undefined);
const bool = (v: unknown) => (typeof v === "boolean" ? v : undefined);

export function isValidTimezone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export function isValidLanguage(tag: string): boolean {
  try {
    return Intl.DateTimeFormat.supportedLocalesOf([tag]).length > 0;
  } catch {
    return false;
  }
}

/** Reads the stored JSON (snake_case or camelCase keys) into complete, valid preferences. */
export function parsePreferences(json: unknown): Preferences {
  const p = json && typeof json === "object" && !Array.isArray(json) ? (json as Record<string, unknown>) : {};
  const theme = str(p.theme);
  const language = str(p.language);
  const timezone = str(p.timezone);
  const view = str(p.default_view ?? p.defaultView);
  return {
    theme: theme === "light" || theme === "dark" ? theme : "system",
    language: language && isValidLanguage(language) ? language : "en",
    timezone: timezone && isValidTimezone(timezone) ? timezone : browserTimezone(),
    sidebarCollapsed: bool(p.sidebar_collapsed ?? p.sidebarCollapsed) ?? false,
    defaultView: view === "list" ? "list" : "grid",
    animationsEnabled: bool(p.animations_enabled ?? p.animationsEnabled) ?? true,
  };
}

export interface Formatters {
  prefs: Preferences;
  dateTime(value: string | Date | null | undefined): string;
  date(value: string | Date | null | undefined): string;
  number(value: number, digits?: number): string;
  money(value: number): string;
  percent(value: number): string;
}

export function makeFormatters(prefs: Preferences): Formatters {
  const dt = new Intl.DateTimeFormat(prefs.language, {
    dateStyle: "medium",
    timeStyle: "short",
    timeZone: prefs.timezone,
  });
  const d = new Intl.DateTimeFormat(prefs.language, { dateStyle: "medium", timeZone: "UTC" });
  const money = new Intl.NumberFormat(prefs.language, { style: "currency", currency: "USD", maximumFractionDigits: 4 });
  return {
    prefs,
    dateTime: (v) => (v ? dt.format(new Date(v)) : "—"),
    // Calendar dates (Date scalar) carry no time zone: print them as written.
    date: (v) => (v ? d.format(new Date(typeof v === "string" && v.length === 10 ? `${v}T00:00:00Z` : v)) : "—"),
    number: (v, digits = 0) => new Intl.NumberFormat(prefs.language, { maximumFractionDigits: digits }).format(v),
    money: (v) => money.format(v),
    percent: (v) =>
      new Intl.NumberFormat(prefs.language, { style: "percent", maximumFractionDigits: 1 }).format(v / 100),
  };
}

const FormatContext = createContext<Formatters>(makeFormatters(parsePreferences(null)));

export function useFormat(): Formatters {
  return useContext(FormatContext);
}

/** Saved for public/theme.js, which applies it before the first paint of the next load. */
export const THEME_KEY = "userplane.theme";

function rememberTheme(theme: Preferences["theme"]) {
  try {
    if (theme === "system") localStorage.removeItem(THEME_KEY);
    else localStorage.setItem(THEME_KEY, theme);
  } catch {
    // Storage blocked: only the first paint of the next load is affected.
  }
}

/** Applies theme, language and animation preferences to <html>, and provides formatters. */
export function PreferencesProvider({ preferences, children }: { preferences: unknown; children: ReactNode }) {
  const prefs = useMemo(() => parsePreferences(preferences), [preferences]);
  const value = useMemo(() => makeFormatters(prefs), [prefs]);
  useEffect(() => {
    const root = document.documentElement;
    root.lang = prefs.language;
    if (prefs.theme === "system") delete root.dataset.theme;
    else root.dataset.theme = prefs.theme;
    rememberTheme(prefs.theme);
    root.dataset.animations = prefs.animationsEnabled ? "on" : "off";
  }, [prefs]);
  return <FormatContext.Provider value={value}>{children}</FormatContext.Provider>;
}

/**
 * Whether motion drawn by script may play: the "Animations" preference and the system's reduced
 * motion, which widgets.css applies to CSS transitions, reach animations run in JavaScript this way
 * (a chart's bars growing in).
 */
export function useMotion(): boolean {
  const reduced = useMediaQuery("(prefers-reduced-motion: reduce)");
  return useFormat().prefs.animationsEnabled && !reduced;
}
