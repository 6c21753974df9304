import { useMutation, useQuery } from "urql";
import { graphql } from "../../../gql/index.ts";
import { CheckboxField } from "../../components/Field.tsx";
import { FormStatus, QueryState } from "../../components/status.tsx";
import { formErrorMessage } from "../../lib/errors.ts";

const SignInRulesQuery = graphql(`
  query SignInRules {
    me {
      id
      totpEnabled
      tenant {
        id
        requireEmailVerification
        requireMfa
      }
    }
  }
`);

const UpdateSignInRules = graphql(`
  mutation UpdateSignInRules($requireEmailVerification: Boolean, $requireMfa: Boolean) {
    updateTenantSecurity(requireEmailVerification: $requireEmailVerification, requireMfa: $requireMfa) {
      id
      requireEmailVerification
      requireMfa
    }
  }
`);

/** Admin section: what members need to sign in (a verified email, a second factor). */
export function SignInRules() {
  const [state] = useQuery({ query: SignInRulesQuery });
  const [saving, save] = useMutation(UpdateSignInRules);
  return (
    <div className="card">
      <h2>Sign-in rules</h2>
      <QueryState result={state}>
        {(d) => (
          <>
            <CheckboxField
              label="Members must verify their email address before signing in"
              checked={!!d.me?.tenant?.requireEmailVerification}
              disabled={saving.fetching}
              onChange={(e) => void save({ requireEmailVerification: e.target.checked })}
            />
            <CheckboxField
              label="Members must use two-factor sign-in (those without it can only set it up)"
              checked={!!d.me?.tenant?.requireMfa}
              disabled={saving.fetching}
              onChange={(e) => void save({ requireMfa: e.target.checked })}
            />
            {!d.me?.totpEnabled && (
              <p className="muted">Set up two-factor sign-in for yourself (Security) before requiring it.</p>
            )}
            <FormStatus error={formErrorMessage(saving.error)} />
          </>
        )}
      </QueryState>
    </div>
  );
}
