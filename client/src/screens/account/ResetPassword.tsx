import { type FormEvent, useState } from "react";
import { useMutation } from "urql";
import { graphql } from "../../../gql/index.ts";
import { PasswordField } from "../../components/AccountFields.tsx";
import { FormStatus } from "../../components/status.tsx";
import { fieldErrors, formErrorMessage } from "../../lib/errors.ts";
import { Link, useSearchParam } from "../../lib/router.tsx";

const ResetPasswordMutation = graphql(`
  mutation ResetPassword($token: String!, $newPassword: String!) {
    resetPassword(token: $token, newPassword: $newPassword)
  }
`);

/** /reset-password?token=…: the link from the reset mail. */
export function ResetPasswordScreen() {
  const token = useSearchParam("token") ?? "";
  const [password, setPassword] = useState("");
  const [result, reset] = useMutation(ResetPasswordMutation);
  const [done, setDone] = useState(false);
  const errors = fieldErrors(result.error);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const r = await reset({ token, newPassword: password });
    if (r.data?.resetPassword) setDone(true);
  };

  return (
    <main className="auth">
      <h1>Choose a new password</h1>
      {done ? (
        <div className="notice info" role="status">
          Your password was changed and every session signed out. <Link to="/signin">Sign in</Link> with the new
          password.
        </div>
      ) : (
        <form onSubmit={submit}>
          <PasswordField
            isNew
            label="New password"
            name="new-password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            error={errors.newPassword}
            hint="At least 10 characters, and not a common password."
          />
          <FormStatus error={formErrorMessage(result.error)} />
          <button type="submit" className="primary" disabled={result.fetching || !token}>
            {result.fetching ? "Saving…" : "Set new password"}
          </button>
        </form>
      )}
    </main>
  );
}
