// The preference fields of the profile screen: theme, language, time zone, default view, sidebar, animations.
import type { Dispatch, SetStateAction } from "react";
import { CheckboxField, SelectField } from "../../components/Field.tsx";
import { browserTimezone, isValidTimezone, type parsePreferences } from "../../lib/preferences.tsx";

const LANGUAGES: [string, string][] = [
  ["en", "English"],
  ["en-GB", "English (UK)"],
  ["de", "Deutsch"],
  ["fr", "Français"],
  ["es", "Español"],
  ["it", "Italiano"],
  ["nl", "Nederlands"],
  ["pt-BR", "Português (Brasil)"],
  ["ja", "日本語"],
];

function timezones(current: string): string[] {
  const all = (Intl as { supportedValuesOf?: (k: string) => string[] }).supportedValuesOf?.("timeZone") ?? [];
  const list = all.length ? all : ["UTC", "Europe/London", "Europe/Berlin", "America/New_York", "Asia/Tokyo"];
  return list.includes(current) ? list : [current, ...list];
}

type Preferences = ReturnType<typeof parsePreferences>;

export function PreferencesFields({
  prefs,
  setPrefs,
  errors,
}: {
  prefs: Preferences;
  setPrefs: Dispatch<SetStateAction<Preferences>>;
  errors: Record<string, string | undefined>;
}) {
  const tzList = timezones(prefs.timezone);
  return (
    <>
      <div className="grid2">
        <SelectField
          label="Theme"
          error={errors.theme}
          value={prefs.theme}
          onChange={(e) => setPrefs((s) => ({ ...s, theme: e.target.value as typeof s.theme }))}
        >
          <option value="system">Same as the system</option>
          <option value="light">Light</option>
          <option value="dark">Dark</option>
        </SelectField>
        <SelectField
          label="Language (dates and numbers)"
          error={errors.language}
          value={prefs.language}
          onChange={(e) => setPrefs((s) => ({ ...s, language: e.target.value }))}
        >
          {LANGUAGES.some(([v]) => v === prefs.language) ? null : (
            <option value={prefs.language}>{prefs.language}</option>
          )}
          {LANGUAGES.map(([v, l]) => (
            <option key={v} value={v}>
              {l}
            </option>
          ))}
        </SelectField>
        <SelectField
          label="Time zone"
          value={prefs.timezone}
          onChange={(e) => setPrefs((s) => ({ ...s, timezone: e.target.value }))}
          hint={`This browser: ${browserTimezone()}`}
          error={isValidTimezone(prefs.timezone) ? errors.timezone : "Unknown time zone"}
        >
          {tzList.map((tz) => (
            <option key={tz} value={tz}>
              {tz}
            </option>
          ))}
        </SelectField>
        <SelectField
          label="Default view"
          value={prefs.defaultView}
          hint="How the agent catalogue is laid out."
          onChange={(e) => setPrefs((s) => ({ ...s, defaultView: e.target.value as "grid" | "list" }))}
          error={errors.defaultView}
        >
          <option value="grid">Grid</option>
          <option value="list">List</option>
        </SelectField>
      </div>
      <CheckboxField
        label="Collapse the sidebar"
        checked={prefs.sidebarCollapsed}
        onChange={(e) => setPrefs((s) => ({ ...s, sidebarCollapsed: e.target.checked }))}
      />
      <CheckboxField
        label="Animations"
        checked={prefs.animationsEnabled}
        onChange={(e) => setPrefs((s) => ({ ...s, animationsEnabled: e.target.checked }))}
      />
    </>
  );
}
