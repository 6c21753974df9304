import { type FormEvent, useState } from "react";
import { useMutation } from "urql";
import { graphql } from "../../../gql/index.ts";
import { CodeField } from "../../components/AccountFields.tsx";
import { FormStatus } from "../../components/status.tsx";
import { fieldErrors, formErrorMessage } from "../../lib/errors.ts";
import { navigate } from "../../lib/router.tsx";
import { session } from "../../lib/session.ts";

const CompleteSignInMutation = graphql(`
  mutation CompleteSignIn($challengeToken: String!, $code: String!) {
    completeSignIn(challengeToken: $challengeToken, code: $code) {
      token
    }
  }
`);

/** The second step of signing in for a user with two-factor sign-in on. */
export function CodeStep({
  challengeToken,
  next,
  onRestart,
}: {
  challengeToken: string;
  next: string;
  onRestart: () => void;
}) {
  const [code, setCode] = useState("");
  const [result, complete] = useMutation(CompleteSignInMutation);
  const errors = fieldErrors(result.error);
  const expired = result.error?.graphQLErrors.some((e) => e.extensions?.code === "INVALID_TOKEN");

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const r = await complete({ challengeToken, code: code.trim() });
    if (r.data?.completeSignIn) {
      session.set(r.data.completeSignIn.token);
      navigate(next, { replace: true });
    }
  };

  return (
    <main className="auth">
      <h1>Two-factor sign-in</h1>
      <form onSubmit={submit}>
        <CodeField
          label="Code from your authenticator app"
          inputMode="text"
          required
          autoFocus
          value={code}
          onChange={(e) => setCode(e.target.value)}
          error={errors.code}
          hint="Six digits, or one of your recovery codes."
        />
        <FormStatus error={formErrorMessage(result.error)} />
        <button type="submit" className="primary" disabled={result.fetching}>
          {result.fetching ? "Checking…" : "Sign in"}
        </button>
      </form>
      {expired && (
        <p>
          <button type="button" onClick={onRestart}>
            Start again
          </button>
        </p>
      )}
    </main>
  );
}
