import { type FormEvent, useState } from "react";
import { useMutation } from "urql";
import { graphql } from "../../../gql/index.ts";
import { EmailField } from "../../components/AccountFields.tsx";
import { FormStatus } from "../../components/status.tsx";
import { fieldErrors, formErrorMessage } from "../../lib/errors.ts";
import { Link } from "../../lib/router.tsx";

const RequestResetMutation = graphql(`
  mutation RequestPasswordReset($email: String!) {
    requestPasswordReset(email: $email)
  }
`);

/** /forgot-password: the answer is the same whether or not the address has an account. */
export function ForgotPasswordScreen() {
  const [email, setEmail] = useState("");
  const [result, request] = useMutation(RequestResetMutation);
  const [sent, setSent] = useState(false);
  const errors = fieldErrors(result.error);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const r = await request({ email: email.trim() });
    if (r.data?.requestPasswordReset) setSent(true);
  };

  return (
    <main className="auth">
      <h1>Reset your password</h1>
      {sent ? (
        <div className="notice info" role="status">
          If an account uses {email.trim()}, a link to choose a new password is on its way. It works once, for 30
          minutes.
        </div>
      ) : (
        <form onSubmit={submit}>
          <EmailField value={email} onChange={(e) => setEmail(e.target.value)} error={errors.email} />
          <FormStatus error={formErrorMessage(result.error)} />
          <button type="submit" className="primary" disabled={result.fetching}>
            {result.fetching ? "Sending…" : "Send reset link"}
          </button>
        </form>
      )}
      <p>
        <Link to="/signin">Back to sign in</Link>
      </p>
    </main>
  );
}
