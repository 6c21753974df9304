import { type FormEvent, useState } from "react";
import { useMutation, useQuery } from "urql";
import { graphql } from "../../../gql/index.ts";
import { CodeField, PasswordField } from "../../components/AccountFields.tsx";
import { useConfirm } from "../../components/ConfirmDialog.tsx";
import { FormStatus } from "../../components/status.tsx";
import { fieldErrors, formErrorMessage } from "../../lib/errors.ts";
import { navigate } from "../../lib/router.tsx";
import { session } from "../../lib/session.ts";
import { ViewerQuery } from "../../lib/viewer.ts";

const DeleteMyAccountMutation = graphql(`
  mutation DeleteMyAccount($password: String!, $code: String) {
    deleteMyAccount(password: $password, code: $code) {
      purgeAfter
      tenantDeletedToo
    }
  }
`);

/** Security screen section: delete my account, with a grace period in which it can be taken back. */
export function DeleteAccountSection() {
  const [viewer] = useQuery({ query: ViewerQuery });
  const twoFactor = viewer.data?.me?.totpEnabled === true;
  const [password, setPassword] = useState("");
  const [code, setCode] = useState("");
  const [result, remove] = useMutation(DeleteMyAccountMutation);
  const confirm = useConfirm();
  const errors = fieldErrors(result.error);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const ok = await confirm({
      title: "Delete your account?",
      description:
        "You are signed out everywhere at once and your API keys stop working. After a grace period (the mail we send names the date) your account and everything in it are removed for good; until then you can cancel the deletion from the sign-in page.",
      confirmLabel: "Delete my account",
      danger: true,
    });
    if (!ok) return;
    // The server ends this session (and its socket) before it answers: that is expected, not news.
    session.beginSignOut();
    const r = await remove({ password, code: twoFactor ? code.trim() : null });
    const done = r.data?.deleteMyAccount;
    if (!done) return session.abortSignOut();
    session.clear();
    // In the address, not the ended-session note: the sign-in screen may already be showing.
    const q = new URLSearchParams({ deleted: done.purgeAfter, ...(done.tenantDeletedToo ? { workspace: "1" } : {}) });
    navigate(`/signin?${q}`, { replace: true });
  };

  return (
    <div className="card danger-zone" id="delete-account">
      <h2>Delete account</h2>
      <p className="muted">
        Deleting your account signs you out everywhere and revokes your API keys at once. Your data is removed for good
        after a grace period; until then you can take the deletion back with your email and password. If you are your
        workspace's last admin, make another member an admin first.
      </p>
      <form onSubmit={submit} aria-label="Delete your account">
        <PasswordField
          label="Your password"
          name="delete-password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          error={errors.password}
        />
        {twoFactor && (
          <CodeField
            label="Code from your authenticator app (or a recovery code)"
            name="delete-code"
            required
            value={code}
            onChange={(e) => setCode(e.target.value)}
            error={errors.code}
          />
        )}
        <FormStatus error={formErrorMessage(result.error, ["password", "code"])} />
        <button type="submit" className="danger-solid" disabled={result.fetching}>
          {result.fetching ? "Deleting…" : "Delete my account"}
        </button>
      </form>
    </div>
  );
}
