import { type FormEvent, useState } from "react";
import { useMutation } from "urql";
import { graphql } from "../../gql/index.ts";
import { EmailField, PasswordField } from "../components/AccountFields.tsx";
import { TextField } from "../components/Field.tsx";
import { FormStatus } from "../components/status.tsx";
import { errorCode, fieldErrors, formErrorMessage } from "../lib/errors.ts";
import { attributionFrom, safeNext } from "../lib/next.ts";
import { Link, navigate, useSearchParam } from "../lib/router.tsx";
import { session } from "../lib/session.ts";
import { CodeStep } from "./account/CodeStep.tsx";

const SignInMutation = graphql(`
  mutation SignIn($email: String!, $password: String!, $tenantSlug: String, $attribution: AttributionInput) {
    signIn(email: $email, password: $password, tenantSlug: $tenantSlug, attribution: $attribution) {
      token
      user {
        id
      }
      mfaChallenge {
        challengeToken
        expiresAt
      }
    }
  }
`);

export function SignInScreen() {
  const next = safeNext(useSearchParam("next"));
  const [ended] = useState(() => session.takeEndedReason());
  const deleted = useSearchParam("deleted");
  const workspaceToo = useSearchParam("workspace") === "1";
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [tenantSlug, setTenantSlug] = useState("");
  const [result, signIn] = useMutation(SignInMutation);
  const [challenge, setChallenge] = useState<string | null>(null);
  const errors = fieldErrors(result.error);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const r = await signIn({
      email: email.trim(),
      password,
      tenantSlug: tenantSlug.trim() || null,
      attribution: attributionFrom(window.location.search, document.referrer),
    });
    const payload = r.data?.signIn;
    if (payload?.mfaChallenge) setChallenge(payload.mfaChallenge.challengeToken);
    else if (payload?.token) {
      session.set(payload.token);
      navigate(next, { replace: true });
    }
  };

  if (challenge) return <CodeStep challengeToken={challenge} next={next} onRestart={() => setChallenge(null)} />;

  return (
    <main className="auth">
      <h1>Sign in to Userplane</h1>
      {ended && (
        <div className="notice info" role="status">
          {ended}
        </div>
      )}
      {deleted && !Number.isNaN(Date.parse(deleted)) && (
        <div className="notice info" role="status">
          Your account was deleted and is removed for good on {new Date(deleted).toLocaleString()}
          {workspaceToo ? ", with its workspace" : ""}. Changed your mind?{" "}
          <Link to="/restore-account">Cancel the deletion</Link>.
        </div>
      )}
      <form onSubmit={submit} noValidate={false}>
        <EmailField value={email} onChange={(e) => setEmail(e.target.value)} error={errors.email} />
        <PasswordField value={password} onChange={(e) => setPassword(e.target.value)} error={errors.password} />
        <details>
          <summary>Belong to several tenants?</summary>
          <TextField
            label="Tenant (slug)"
            maxLength={100}
            name="tenant"
            value={tenantSlug}
            onChange={(e) => setTenantSlug(e.target.value)}
            error={errors.tenantSlug}
            hint="Leave empty to use your primary tenant."
          />
        </details>
        <FormStatus error={formErrorMessage(result.error)} />
        {errorCode(result.error) === "ACCOUNT_PENDING_DELETION" && (
          <p>
            <Link to="/restore-account">Cancel the deletion</Link>
          </p>
        )}
        <button type="submit" className="primary" disabled={result.fetching}>
          {result.fetching ? "Signing in…" : "Sign in"}
        </button>
      </form>
      <p>
        <Link to="/forgot-password">Forgot your password?</Link>
      </p>
      <p>
        <Link to="/restore-account">Deleted your account and changed your mind?</Link>
      </p>
      <p>
        New here?{" "}
        <Link to={next === "/" ? "/signup" : `/signup?next=${encodeURIComponent(next)}`}>Create an account</Link>
      </p>
    </main>
  );
}
