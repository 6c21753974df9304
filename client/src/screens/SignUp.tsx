import { type FormEvent, useState } from "react";
import { useMutation } from "urql";
import { graphql } from "../../gql/index.ts";
import { EmailField, PasswordField } from "../components/AccountFields.tsx";
import { TextField } from "../components/Field.tsx";
import { FormStatus } from "../components/status.tsx";
import { fieldErrors, formErrorMessage } from "../lib/errors.ts";
import { attributionFrom, safeNext } from "../lib/next.ts";
import { Link, navigate, useSearchParam } from "../lib/router.tsx";
import { session } from "../lib/session.ts";

const SignUpMutation = graphql(`
  mutation SignUp(
    $email: String!
    $password: String!
    $displayName: String!
    $tenantName: String
    $inviteToken: String
    $attribution: AttributionInput
  ) {
    signUp(
      email: $email
      password: $password
      displayName: $displayName
      tenantName: $tenantName
      inviteToken: $inviteToken
      attribution: $attribution
    ) {
      token
      user {
        id
      }
    }
  }
`);

export function SignUpScreen() {
  const next = safeNext(useSearchParam("next"));
  const invited = useSearchParam("invite");
  const [form, setForm] = useState({
    displayName: "",
    email: "",
    password: "",
    tenantName: "",
    inviteToken: invited ?? "",
  });
  const [result, signUp] = useMutation(SignUpMutation);
  const errors = fieldErrors(result.error);
  const hasInvite = form.inviteToken.trim() !== "";
  const set = (key: keyof typeof form) => (e: { target: { value: string } }) =>
    setForm((f) => ({ ...f, [key]: e.target.value }));

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const r = await signUp({
      displayName: form.displayName.trim(),
      email: form.email.trim(),
      password: form.password,
      tenantName: hasInvite ? null : form.tenantName.trim() || null,
      inviteToken: hasInvite ? form.inviteToken.trim() : null,
      attribution: attributionFrom(window.location.search, document.referrer),
    });
    if (r.data?.signUp) {
      session.set(r.data.signUp.token);
      navigate(next === "/" ? "/profile" : next, { replace: true });
    }
  };

  return (
    <main className="auth">
      <h1>Create your Userplane account</h1>
      {invited && (
        <p className="notice info" role="status">
          You were invited: your account joins the inviting tenant.
        </p>
      )}
      <form onSubmit={submit}>
        <TextField
          label="Your name"
          maxLength={100}
          name="displayName"
          autoComplete="name"
          required
          value={form.displayName}
          onChange={set("displayName")}
          error={errors.displayName}
        />
        <EmailField value={form.email} onChange={set("email")} error={errors.email} />
        <PasswordField
          isNew
          value={form.password}
          onChange={set("password")}
          error={errors.password}
          hint="At least 10 characters."
        />
        <TextField
          label="Invite token (optional)"
          maxLength={200}
          name="inviteToken"
          value={form.inviteToken}
          onChange={set("inviteToken")}
          error={errors.inviteToken}
          hint="From an invitation by a tenant admin. Without one you get a tenant of your own."
        />
        {!hasInvite && (
          <TextField
            label="Tenant name (optional)"
            maxLength={100}
            name="tenantName"
            value={form.tenantName}
            onChange={set("tenantName")}
            error={errors.tenantName}
            hint="Your team or company; defaults to your name."
          />
        )}
        <FormStatus error={formErrorMessage(result.error)} />
        <button type="submit" className="primary" disabled={result.fetching}>
          {result.fetching ? "Creating account…" : "Create account"}
        </button>
      </form>
      <p>
        Already have an account? <Link to="/signin">Sign in</Link>
      </p>
    </main>
  );
}
