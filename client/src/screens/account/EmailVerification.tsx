import { useMutation, useQuery } from "urql";
import { graphql } from "../../../gql/index.ts";
import { FormStatus } from "../../components/status.tsx";
import { formErrorMessage } from "../../lib/errors.ts";

const EmailStateQuery = graphql(`
  query EmailState {
    me {
      id
      email
      emailVerifiedAt
    }
  }
`);

const ResendMutation = graphql(`
  mutation ResendVerification {
    resendVerification
  }
`);

/** A banner while the signed-in user's email is unverified, with a button to mail the link again. */
export function VerifyEmailBanner() {
  const [{ data }] = useQuery({ query: EmailStateQuery });
  const [result, resend] = useMutation(ResendMutation);
  const me = data?.me;
  if (!me || me.emailVerifiedAt) return null;
  return (
    <div className="notice info" role="status">
      Please verify {me.email}: open the link we mailed you.{" "}
      {result.data?.resendVerification ? (
        <strong>A new link is on its way.</strong>
      ) : (
        <button type="button" onClick={() => void resend({})} disabled={result.fetching}>
          Send the link again
        </button>
      )}
      <FormStatus error={formErrorMessage(result.error)} />
    </div>
  );
}
