import { type FormEvent, useState } from "react";
import { useMutation } from "urql";
import { graphql } from "../../../gql/index.ts";
import { CodeField, EmailField, PasswordField } from "../../components/AccountFields.tsx";
import { FormStatus } from "../../components/status.tsx";
import { fieldErrors, formErrorMessage } from "../../lib/errors.ts";
import { Link, navigate } from "../../lib/router.tsx";
import { session } from "../../lib/session.ts";

const CancelDeletionMutation = graphql(`
  mutation CancelAccountDeletion($email: String!, $password: String!, $code: String) {
    cancelAccountDeletion(email: $email, password: $password, code: $code) {
      token
      user {
        id
      }
    }
  }
`);

/** Public screen (the deletion mail links here): takes a deletion back within its grace period and signs in. */
export function RestoreAccountScreen() {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [code, setCode] = useState("");
  const [result, cancel] = useMutation(CancelDeletionMutation);
  const errors = fieldErrors(result.error);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const r = await cancel({ email: email.trim(), password, code: code.trim() || null });
    const token = r.data?.cancelAccountDeletion.token;
    if (token) {
      session.set(token);
      navigate("/", { replace: true });
    }
  };

  return (
    <main className="auth">
      <h1>Cancel your account's deletion</h1>
      <p>Within the grace period your account can be taken back, as it was. You are signed in again.</p>
      <form onSubmit={submit}>
        <EmailField value={email} onChange={(e) => setEmail(e.target.value)} error={errors.email} />
        <PasswordField value={password} onChange={(e) => setPassword(e.target.value)} error={errors.password} />
        <CodeField
          label="Two-factor code (if you use one)"
          value={code}
          onChange={(e) => setCode(e.target.value)}
          error={errors.code}
        />
        <FormStatus error={formErrorMessage(result.error, ["email", "password", "code"])} />
        <button type="submit" className="primary" disabled={result.fetching}>
          {result.fetching ? "Restoring…" : "Cancel the deletion and sign in"}
        </button>
      </form>
      <p>
        <Link to="/signin">Back to sign-in</Link>
      </p>
    </main>
  );
}
