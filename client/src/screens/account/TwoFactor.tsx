import { QRCodeSVG } from "qrcode.react";
import { type FormEvent, useState } from "react";
import { toast } from "sonner";
import { useMutation, useQuery } from "urql";
import { graphql } from "../../../gql/index.ts";
import { CodeField } from "../../components/AccountFields.tsx";
import { CopyButton } from "../../components/CopyButton.tsx";
import { FormStatus, QueryState } from "../../components/status.tsx";
import { fieldErrors, formErrorMessage } from "../../lib/errors.ts";

const TwoFactorQuery = graphql(`
  query TwoFactorState {
    me {
      id
      totpEnabled
      recoveryCodesLeft
    }
  }
`);

const EnrollMutation = graphql(`
  mutation EnrollTotp {
    enrollTotp {
      secret
      uri
    }
  }
`);

const ConfirmMutation = graphql(`
  mutation ConfirmTotp($code: String!) {
    confirmTotp(code: $code)
  }
`);

const DisableMutation = graphql(`
  mutation DisableTotp($code: String!) {
    disableTotp(code: $code)
  }
`);

/** Security screen section: set up TOTP with a QR code, keep the recovery codes, or turn it off. */
export function TwoFactorSection() {
  const [state] = useQuery({ query: TwoFactorQuery });
  const [enrolment, enroll] = useMutation(EnrollMutation);
  const [confirmed, confirm] = useMutation(ConfirmMutation);
  const [disabled, disable] = useMutation(DisableMutation);
  const [code, setCode] = useState("");
  const [codes, setCodes] = useState<string[] | null>(null);
  const pending = enrolment.data?.enrollTotp;
  const active = disabled.error ?? confirmed.error;

  const submitConfirm = async (e: FormEvent) => {
    e.preventDefault();
    const r = await confirm({ code: code.trim() });
    if (r.data) {
      setCodes(r.data.confirmTotp);
      setCode("");
    }
  };
  const submitDisable = async (e: FormEvent) => {
    e.preventDefault();
    const r = await disable({ code: code.trim() });
    if (r.data?.disableTotp) {
      setCode("");
      setCodes(null);
      toast.success("Two-factor sign-in is off.");
    }
  };

  return (
    <div className="card">
      <h2>Two-factor sign-in</h2>
      <QueryState result={state}>
        {(d) =>
          d.me?.totpEnabled ? (
            <>
              <p>
                On. {d.me.recoveryCodesLeft ?? 0} recovery code{d.me.recoveryCodesLeft === 1 ? "" : "s"} left.
              </p>
              {codes && (
                <div className="notice success secret" role="alert">
                  <p>Keep these recovery codes somewhere safe: each works once, and they are not shown again.</p>
                  <pre data-testid="recovery-codes">{codes.join("\n")}</pre>
                  <CopyButton text={codes.join("\n")} label="Copy recovery codes" />
                </div>
              )}
              <form onSubmit={submitDisable}>
                <CodeField
                  label="Code to turn it off"
                  name="disable-code"
                  required
                  value={code}
                  onChange={(e) => setCode(e.target.value)}
                  error={fieldErrors(disabled.error).code}
                />
                <FormStatus error={formErrorMessage(active)} />
                <button type="submit" disabled={disabled.fetching}>
                  Turn off two-factor sign-in
                </button>
              </form>
            </>
          ) : pending ? (
            <form onSubmit={submitConfirm}>
              <p>Scan this code with an authenticator app, or type the secret in, then enter the code it shows.</p>
              <QRCodeSVG value={pending.uri} size={192} title="QR code for your authenticator app" />
              <p>
                Secret: <code data-testid="totp-secret">{pending.secret}</code>
              </p>
              <CodeField
                label="Code from the app"
                name="confirm-code"
                inputMode="numeric"
                required
                value={code}
                onChange={(e) => setCode(e.target.value)}
                error={fieldErrors(confirmed.error).code}
              />
              <FormStatus error={formErrorMessage(confirmed.error)} />
              <button type="submit" className="primary" disabled={confirmed.fetching}>
                Turn on
              </button>
            </form>
          ) : (
            <>
              <p>Off. With it on, signing in also asks for a code from an authenticator app.</p>
              <FormStatus error={formErrorMessage(enrolment.error)} />
              <button type="button" onClick={() => void enroll({})} disabled={enrolment.fetching}>
                Set up two-factor sign-in
              </button>
            </>
          )
        }
      </QueryState>
    </div>
  );
}
