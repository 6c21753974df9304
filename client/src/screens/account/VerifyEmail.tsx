import { useEffect, useRef } from "react";
import { useMutation } from "urql";
import { graphql } from "../../../gql/index.ts";
import { FormStatus } from "../../components/status.tsx";
import { formErrorMessage } from "../../lib/errors.ts";
import { Link, useSearchParam } from "../../lib/router.tsx";

const VerifyEmailMutation = graphql(`
  mutation VerifyEmail($token: String!) {
    verifyEmail(token: $token)
  }
`);

/** /verify-email?token=…: spends the link once, on arrival. */
export function VerifyEmailScreen() {
  const token = useSearchParam("token") ?? "";
  const [result, verify] = useMutation(VerifyEmailMutation);
  const sent = useRef(false);

  useEffect(() => {
    if (sent.current || !token) return;
    sent.current = true;
    void verify({ token });
  }, [token, verify]);

  return (
    <main className="auth">
      <h1>Verify your email</h1>
      {result.data?.verifyEmail && (
        <div className="notice info" role="status">
          Your email address is verified.
        </div>
      )}
      {result.fetching && <p>Checking the link…</p>}
      <FormStatus error={formErrorMessage(result.error)} />
      <p>
        <Link to="/">Continue</Link>
      </p>
    </main>
  );
}
