import { type FormEvent, useEffect, useState } from "react";
import { useMutation, useQuery } from "urql";
import { type FragmentType, getFragmentData, graphql } from "../../gql/index.ts";
import { CheckboxField, SelectField, TextField } from "../components/Field.tsx";
import { FormStatus, QueryState } from "../components/status.tsx";
import { fieldErrors, formErrorMessage } from "../lib/errors.ts";
import { browserTimezone, isValidTimezone, parsePreferences } from "../lib/preferences.tsx";
import { AvatarSection } from "./account/AvatarSection.tsx";
import { DataExportSection } from "./account/DataExport.tsx";
import { PrivacySection } from "./account/Privacy.tsx";

/** What the profile form reads and what saving it answers with, so the cache updates every screen. */
export const ProfileFormFields = graphql(`
  fragment ProfileFormFields on User {
    id
    displayName
    email
    profile {
      fullName
      avatarUrl
      avatarUploaded
      jobTitle
      department
      organization
      country
      preferences
      notificationSettings
      twitter
      linkedin
      instagram
      facebook
      tiktok
      updatedAt
    }
  }
`);

const ProfileQuery = graphql(`
  query Profile {
    me {
      id
      ...ProfileFormFields
    }
  }
`);

const UpdateProfileMutation = graphql(`
  mutation UpdateProfile($input: UpdateProfileInput!) {
    updateProfile(input: $input) {
      id
      ...ProfileFormFields
    }
  }
`);

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

/** Fields with an inline error message on this screen; errors on any other field show at the top. */
const SHOWN_FIELDS = [
  "displayName",
  "fullName",
  "jobTitle",
  "department",
  "organization",
  "country",
  "avatarUrl",
  "theme",
  "language",
  "timezone",
  "defaultView",
  "twitter",
  "linkedin",
  "instagram",
  "facebook",
  "tiktok",
];

export interface NotificationSettings {
  email: boolean;
  inApp: boolean;
  weeklyDigest: boolean;
  agentUpdates: boolean;
  newFeatures: boolean;
}

/** Reads stored notification settings (snake_case keys as in the seed); unset switches default to on, digest off. */
export function parseNotificationSettings(json: unknown): NotificationSettings {
  const n = json && typeof json === "object" ? (json as Record<string, unknown>) : {};
  const b = (v: unknown, d: boolean) => (typeof v === "boolean" ? v : d);
  return {
    email: b(n.email, true),
    inApp: b(n.in_app ?? n.inApp, true),
    weeklyDigest: b(n.weekly_digest ?? n.weeklyDigest, false),
    agentUpdates: b(n.agent_updates ?? n.agentUpdates, true),
    newFeatures: b(n.new_features ?? n.newFeatures, true),
  };
}

export function ProfileScreen() {
  const [result, refetch] = useQuery({ query: ProfileQuery });
  return (
    <section>
      <h1>Profile & preferences</h1>
      <QueryState result={result} retry={() => refetch({ requestPolicy: "network-only" })}>
        {(data) =>
          data.me ? (
            <ProfileForm
              key={data.me.id}
              me={data.me}
              onAvatarChange={() => refetch({ requestPolicy: "network-only" })}
            />
          ) : null
        }
      </QueryState>
      <PrivacySection />
      <DataExportSection />
    </section>
  );
}

/** The server's limits (server/schema/user.ts). */
const PROFILE_LIMITS = {
  displayName: 100,
  fullName: 200,
  jobTitle: 200,
  department: 200,
  organization: 200,
  country: 100,
  avatarUrl: 2000,
} as const;

export function ProfileForm(props: { me: FragmentType<typeof ProfileFormFields>; onAvatarChange?: () => void }) {
  const me = getFragmentData(ProfileFormFields, props.me);
  const p = me.profile;
  // An uploaded avatar's URL is a signed path of ours, not the URL this form edits.
  const uploaded = p?.avatarUploaded ?? false;
  const [identity, setIdentity] = useState({
    displayName: me.displayName,
    fullName: p?.fullName ?? "",
    avatarUrl: uploaded ? "" : (p?.avatarUrl ?? ""),
    jobTitle: p?.jobTitle ?? "",
    department: p?.department ?? "",
    organization: p?.organization ?? "",
    country: p?.country ?? "",
  });
  const [social, setSocial] = useState({
    twitter: p?.twitter ?? "",
    linkedin: p?.linkedin ?? "",
    instagram: p?.instagram ?? "",
    facebook: p?.facebook ?? "",
    tiktok: p?.tiktok ?? "",
  });
  const [prefs, setPrefs] = useState(() => parsePreferences(p?.preferences));
  const [notify, setNotify] = useState(() => parseNotificationSettings(p?.notificationSettings));
  const [result, update] = useMutation(UpdateProfileMutation);
  const [saved, setSaved] = useState<string | null>(null);
  const errors = fieldErrors(result.error);
  useEffect(() => {
    if (result.fetching) setSaved(null);
  }, [result.fetching]);

  const save = (input: Parameters<typeof update>[0]["input"], what: string) => async (e: FormEvent) => {
    e.preventDefault();
    const r = await update({ input });
    if (r.data) setSaved(`${what} saved.`);
  };

  const tzList = timezones(prefs.timezone);
  return (
    <>
      <FormStatus error={formErrorMessage(result.error, SHOWN_FIELDS)} success={saved} />
      <AvatarSection url={p?.avatarUrl} uploaded={uploaded} onChange={() => props.onAvatarChange?.()} />
      <form
        className="card"
        onSubmit={save(uploaded ? { ...identity, avatarUrl: undefined } : identity, "Profile")}
        aria-labelledby="profile-h"
      >
        <h2 id="profile-h">About you</h2>
        <p className="muted">Signed in as {me.email}</p>
        <div className="grid2">
          {(
            [
              ["displayName", "Display name"],
              ["fullName", "Full name"],
              ["jobTitle", "Job title"],
              ["department", "Department"],
              ["organization", "Organisation"],
              ["country", "Country"],
              ...(uploaded ? [] : ([["avatarUrl", "Avatar URL"]] as const)),
            ] as const
          ).map(([key, label]) => (
            <TextField
              key={key}
              label={label}
              name={key}
              required={key === "displayName"}
              maxLength={PROFILE_LIMITS[key]}
              type={key === "avatarUrl" ? "url" : "text"}
              value={identity[key]}
              onChange={(e) => setIdentity((s) => ({ ...s, [key]: e.target.value }))}
              error={errors[key]}
            />
          ))}
        </div>
        <button type="submit" className="primary" disabled={result.fetching}>
          Save profile
        </button>
      </form>

      <form
        className="card"
        aria-labelledby="prefs-h"
        onSubmit={save(
          {
            preferences: {
              theme: prefs.theme,
              language: prefs.language,
              timezone: prefs.timezone,
              defaultView: prefs.defaultView,
              sidebarCollapsed: prefs.sidebarCollapsed,
              animationsEnabled: prefs.animationsEnabled,
            },
          },
          "Preferences",
        )}
      >
        <h2 id="prefs-h">Preferences</h2>
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
        <button type="submit" className="primary" disabled={result.fetching}>
          Save preferences
        </button>
      </form>

      <form
        className="card"
        aria-labelledby="notify-h"
        onSubmit={save({ notificationSettings: notify }, "Notification settings")}
      >
        <h2 id="notify-h">Notifications</h2>
        <fieldset>
          <legend>Send me</legend>
          {(
            [
              ["email", "Email notifications"],
              ["inApp", "In-app notifications"],
              ["weeklyDigest", "A weekly digest"],
              ["agentUpdates", "Agent updates"],
              ["newFeatures", "News about features"],
            ] as const
          ).map(([key, label]) => (
            <CheckboxField
              key={key}
              label={label}
              checked={notify[key]}
              onChange={(e) => setNotify((s) => ({ ...s, [key]: e.target.checked }))}
            />
          ))}
        </fieldset>
        <button type="submit" className="primary" disabled={result.fetching}>
          Save notification settings
        </button>
      </form>

      <form className="card" aria-labelledby="social-h" onSubmit={save(social, "Social handles")}>
        <h2 id="social-h">Social handles</h2>
        <div className="grid2">
          {(
            [
              ["twitter", "X / Twitter"],
              ["linkedin", "LinkedIn"],
              ["instagram", "Instagram"],
              ["facebook", "Facebook"],
              ["tiktok", "TikTok"],
            ] as const
          ).map(([key, label]) => (
            <TextField
              key={key}
              label={label}
              name={key}
              placeholder="handle"
              maxLength={100}
              value={social[key]}
              onChange={(e) => setSocial((s) => ({ ...s, [key]: e.target.value }))}
              error={errors[key]}
            />
          ))}
        </div>
        <button type="submit" className="primary" disabled={result.fetching}>
          Save social handles
        </button>
      </form>
    </>
  );
}
