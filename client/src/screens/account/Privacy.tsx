import { type FormEvent, useState } from "react";
import { toast } from "sonner";
import { useMutation, useQuery } from "urql";
import { type FragmentType, getFragmentData, graphql } from "../../../gql/index.ts";
import { CheckboxField, TextField } from "../../components/Field.tsx";
import { FormStatus, QueryState } from "../../components/status.tsx";
import { fieldErrors, formErrorMessage } from "../../lib/errors.ts";

/** What the form starts from; the save answers with the same, so the cache holds what was stored. */
const PrivacyFields = graphql(`
  fragment PrivacyFields on PrivacyPreferences {
    consentGiven
    consentGivenAt
    dataRetentionDays
    marketingEmails
  }
`);

const PrivacyQuery = graphql(`
  query Privacy {
    me {
      id
      profile {
        privacy {
          ...PrivacyFields
        }
      }
    }
  }
`);

const UpdatePrivacyMutation = graphql(`
  mutation UpdatePrivacy($consentGiven: Boolean, $dataRetentionDays: Int, $clearRetention: Boolean, $marketingEmails: Boolean) {
    updatePrivacyPreferences(
      consentGiven: $consentGiven
      dataRetentionDays: $dataRetentionDays
      clearRetention: $clearRetention
      marketingEmails: $marketingEmails
    ) {
      ...PrivacyFields
    }
  }
`);

/** Profile screen section: consent, retention and marketing mail, seen and changed by the user alone. */
export function PrivacySection() {
  const [result] = useQuery({ query: PrivacyQuery });
  return (
    <div className="card">
      <h2>Privacy</h2>
      <QueryState result={result}>
        {(d) => (d.me?.profile?.privacy ? <PrivacyForm initial={d.me.profile.privacy} /> : null)}
      </QueryState>
    </div>
  );
}

function PrivacyForm(props: { initial: FragmentType<typeof PrivacyFields> }) {
  const initial = getFragmentData(PrivacyFields, props.initial);
  const [consent, setConsent] = useState(initial.consentGiven);
  const [marketing, setMarketing] = useState(initial.marketingEmails);
  const [days, setDays] = useState(initial.dataRetentionDays ? String(initial.dataRetentionDays) : "");
  const [result, update] = useMutation(UpdatePrivacyMutation);
  const errors = fieldErrors(result.error);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const r = await update({
      consentGiven: consent,
      marketingEmails: marketing,
      ...(days.trim() ? { dataRetentionDays: Number(days) } : { clearRetention: true }),
    });
    if (r.data) toast.success("Privacy preferences saved.");
  };

  return (
    <form onSubmit={submit}>
      <CheckboxField
        label="I consent to Userplane processing my data"
        checked={consent}
        onChange={(e) => setConsent(e.target.checked)}
      />
      <CheckboxField
        label="Send me product news by email"
        checked={marketing}
        onChange={(e) => setMarketing(e.target.checked)}
      />
      <TextField
        label="Keep my data for (days)"
        type="number"
        min={1}
        max={3650}
        value={days}
        onChange={(e) => setDays(e.target.value)}
        error={errors.dataRetentionDays}
        hint="1 to 3650 days; empty for the product's default."
      />
      <FormStatus error={formErrorMessage(result.error)} />
      <button type="submit" disabled={result.fetching}>
        Save privacy preferences
      </button>
    </form>
  );
}
