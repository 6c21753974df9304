import type { Role } from "../../../gql/graphql.ts";
import { SelectField } from "../../components/Field.tsx";
import { ROLES } from "./queries.ts";

export function RoleSelect({ value, onChange }: { value: Role; onChange: (role: Role) => void }) {
  return (
    <SelectField label="Role" value={value} onChange={(e) => onChange(e.target.value as Role)}>
      {ROLES.map((r) => (
        <option key={r} value={r}>
          {r}
        </option>
      ))}
    </SelectField>
  );
}
