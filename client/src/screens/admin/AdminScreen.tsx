// One admin section at a time, chosen in the URL (?section=invites): a link or Back opens the
// same section, and a phone is not a 6-screen scroll.
import type { ReactNode } from "react";
import { Link, useSearchParam } from "../../lib/router.tsx";
import { Sessions } from "../security/Sessions.tsx";
import { AuditLog } from "./AuditLog.tsx";
import { Catalogue } from "./Catalogue.tsx";
import { Invites } from "./Invites.tsx";
import { Members } from "./Members.tsx";
import { Quotas } from "./Quotas.tsx";
import { RateLimits } from "./RateLimits.tsx";
import { Retention } from "./Retention.tsx";
import { SignInRules } from "./SignInRules.tsx";
import { Webhooks } from "./Webhooks.tsx";

export const ADMIN_SECTIONS: { key: string; label: string; render: () => ReactNode }[] = [
  { key: "members", label: "Members", render: () => <Members /> },
  { key: "invites", label: "Invites", render: () => <Invites /> },
  { key: "catalogue", label: "Agent catalogue", render: () => <Catalogue /> },
  { key: "sessions", label: "Sessions", render: () => <Sessions allInTenant /> },
  { key: "quotas", label: "Quotas", render: () => <Quotas /> },
  { key: "limits", label: "Rate limits", render: () => <RateLimits /> },
  { key: "retention", label: "Retention", render: () => <Retention /> },
  { key: "webhooks", label: "Webhooks", render: () => <Webhooks /> },
  { key: "audit", label: "Audit log", render: () => <AuditLog /> },
  { key: "sign-in", label: "Sign-in rules", render: () => <SignInRules /> },
];

export function AdminScreen() {
  const requested = useSearchParam("section");
  const section = ADMIN_SECTIONS.find((s) => s.key === requested) ?? (ADMIN_SECTIONS[0] as (typeof ADMIN_SECTIONS)[0]);
  return (
    <section>
      <h1>Admin</h1>
      <nav aria-label="Admin sections" className="subnav tabs">
        <ul>
          {ADMIN_SECTIONS.map((s) => (
            <li key={s.key}>
              <Link to={`/admin?section=${s.key}`} aria-current={s.key === section.key ? "page" : undefined}>
                {s.label}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      {section.render()}
    </section>
  );
}
