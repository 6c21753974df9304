// The fields every account screen asks for (sign-in, sign-up, reset, change, delete, restore, two-factor),
// with the server's limits and the autocomplete hints password managers read, written once.
import type { ComponentProps } from "react";
import { TextField } from "./Field.tsx";

type FieldProps = Partial<ComponentProps<typeof TextField>>;

/** An email address (the server takes up to 254 characters). */
export function EmailField(props: FieldProps) {
  return <TextField label="Email" type="email" name="email" autoComplete="email" maxLength={254} required {...props} />;
}

/**
 * A password: the account's current one, or (`isNew`) one being chosen, which the server wants at
 * least 10 characters long.
 */
export function PasswordField({ isNew = false, ...props }: FieldProps & { isNew?: boolean }) {
  return (
    <TextField
      label="Password"
      type="password"
      name="password"
      autoComplete={isNew ? "new-password" : "current-password"}
      minLength={isNew ? 10 : undefined}
      maxLength={200}
      required
      {...props}
    />
  );
}

/** A two-factor code: six digits from the app, or a recovery code. */
export function CodeField(props: FieldProps) {
  return <TextField label="Code" name="code" autoComplete="one-time-code" maxLength={20} {...props} />;
}
