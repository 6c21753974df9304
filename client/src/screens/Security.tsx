import { ChangePasswordSection } from "./account/ChangePassword.tsx";
import { DeleteAccountSection } from "./account/DeleteAccount.tsx";
import { TwoFactorSection } from "./account/TwoFactor.tsx";
import { ApiKeys } from "./security/ApiKeys.tsx";
import { Sessions } from "./security/Sessions.tsx";

// The client tests import the sections from here.
export { ApiKeys, Sessions };

export function SecurityScreen() {
  return (
    <section>
      <h1>Security</h1>
      <Sessions />
      <ChangePasswordSection />
      <TwoFactorSection />
      <ApiKeys />
      <DeleteAccountSection />
    </section>
  );
}
