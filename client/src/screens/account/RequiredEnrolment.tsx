// Shown instead of the app when the tenant requires two-factor sign-in and the user has none: the
// server answers anything else with MFA_ENROLLMENT_REQUIRED. It stays up after the codes are
// confirmed until the user has kept their recovery codes and chosen to continue.
import { TwoFactorSection } from "./TwoFactor.tsx";

export function RequiredEnrolmentScreen({
  tenantName,
  enrolled,
  onContinue,
  onSignOut,
}: {
  tenantName: string | null | undefined;
  enrolled: boolean;
  onContinue: () => void;
  onSignOut: () => void;
}) {
  return (
    <main id="main" className="center" tabIndex={-1}>
      <section className="narrow">
        <h1>Set up two-factor sign-in</h1>
        <p>
          {tenantName ?? "This workspace"} requires a code from an authenticator app at every sign-in. Set it up to
          continue.
        </p>
        <TwoFactorSection />
        <div className="actions">
          {enrolled && (
            <button type="button" className="primary" onClick={onContinue}>
              Continue
            </button>
          )}
          <button type="button" onClick={onSignOut}>
            Sign out
          </button>
        </div>
      </section>
    </main>
  );
}
