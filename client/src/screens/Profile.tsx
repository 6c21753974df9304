import { type FormEvent, useEffect, useState } from "react";
import { useMutation, useQuery } from "urql";
import { type FragmentType, getFragmentData, graphql } from "../../gql/index.ts";
import { CheckboxField, TextField } from "../components/Field.tsx";
import { FormStatus, QueryState } from "../components/status.tsx";
import { fieldErrors, formErrorMessage } from "../lib/errors.ts";
import { parsePreferences } from "../lib/preferences.tsx";
import { AvatarSection } from "./account/AvatarSection.tsx";
import { DataExportSection } from "./account/DataExport.tsx";
import { parseNotificationSettings } from "./account/notificationSettings.ts";
import { PreferencesFields } from "./account/PreferencesFields.tsx";
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

export function ProfileScreen() {
  const [result, refetch] = useQuery({ query: ProfileQuery });
  return (
    <section>
      <h1>Profile & preferences</h1>
      <QueryState result={result} retry={refetch}>
        {(data) => (data.me ? <ProfileForm key={data.me.id} me={data.me} /> : null)}
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

export function ProfileForm(props: { me: FragmentType<typeof ProfileFormFields> }) {
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

  return (
    <>
      <FormStatus error={formErrorMessage(result.error, SHOWN_FIELDS)} success={saved} />
      <AvatarSection url={p?.avatarUrl} uploaded={uploaded} />
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
        <PreferencesFields prefs={prefs} setPrefs={setPrefs} errors={errors} />
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
