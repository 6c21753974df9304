import { type FormEvent, useState } from "react";
import { toast } from "sonner";
import { useMutation } from "urql";
import { graphql } from "../../../gql/index.ts";
import { PasswordField } from "../../components/AccountFields.tsx";
import { FormStatus } from "../../components/status.tsx";
import { fieldErrors, formErrorMessage } from "../../lib/errors.ts";

const ChangePasswordMutation = graphql(`
  mutation ChangePassword($currentPassword: String!, $newPassword: String!) {
    changePassword(currentPassword: $currentPassword, newPassword: $newPassword)
  }
`);

/** Security screen section: a new password ends every other session. */
export function ChangePasswordSection() {
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [result, change] = useMutation(ChangePasswordMutation);
  const errors = fieldErrors(result.error);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const r = await change({ currentPassword: current, newPassword: next });
    if (r.data?.changePassword) {
      setCurrent("");
      setNext("");
      toast.success("Password changed. Your other sessions were signed out.");
    }
  };

  return (
    <div className="card">
      <h2>Password</h2>
      <form onSubmit={submit}>
        <PasswordField
          label="Current password"
          name="current-password"
          value={current}
          onChange={(e) => setCurrent(e.target.value)}
          error={errors.currentPassword}
        />
        <PasswordField
          isNew
          label="New password"
          name="new-password"
          value={next}
          onChange={(e) => setNext(e.target.value)}
          error={errors.newPassword}
          hint="At least 10 characters, and not a common password. Your other sessions will be signed out."
        />
        <FormStatus error={formErrorMessage(result.error)} />
        <button type="submit" disabled={result.fetching}>
          {result.fetching ? "Changing…" : "Change password"}
        </button>
      </form>
    </div>
  );
}
