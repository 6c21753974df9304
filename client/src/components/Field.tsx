import {
  type InputHTMLAttributes,
  type ReactNode,
  type SelectHTMLAttributes,
  type TextareaHTMLAttributes,
  useId,
} from "react";

interface Common {
  label: ReactNode;
  error?: string | undefined;
  hint?: ReactNode;
}

function useIds(error?: string, hint?: ReactNode) {
  const id = useId();
  const describedBy = [error ? `${id}-err` : null, hint ? `${id}-hint` : null].filter(Boolean).join(" ") || undefined;
  return { id, describedBy };
}

function Extra({ id, error, hint }: { id: string; error?: string | undefined; hint?: ReactNode }) {
  return (
    <>
      {hint && (
        <small id={`${id}-hint`} className="hint">
          {hint}
        </small>
      )}
      {error && (
        <small id={`${id}-err`} className="field-error">
          {error}
        </small>
      )}
    </>
  );
}

/** Near an input's limit, how much room is left, so the limit is never a surprise. */
function withCount(hint: ReactNode, value: unknown, max: number | undefined): ReactNode {
  if (!max || typeof value !== "string" || value.length < max * 0.8) return hint;
  return (
    <>
      {hint}
      {hint ? " · " : ""}
      {value.length} of {max} characters
    </>
  );
}

export function TextField({ label, error, hint: baseHint, ...input }: Common & InputHTMLAttributes<HTMLInputElement>) {
  const hint = withCount(baseHint, input.value, input.maxLength);
  const { id, describedBy } = useIds(error, hint);
  return (
    <div className="field">
      <label htmlFor={input.id ?? id}>{label}</label>
      <input id={id} aria-invalid={error ? true : undefined} aria-describedby={describedBy} {...input} />
      <Extra id={id} error={error} hint={hint} />
    </div>
  );
}

export function TextArea({
  label,
  error,
  hint: baseHint,
  ...input
}: Common & TextareaHTMLAttributes<HTMLTextAreaElement>) {
  const hint = withCount(baseHint, input.value, input.maxLength);
  const { id, describedBy } = useIds(error, hint);
  return (
    <div className="field">
      <label htmlFor={input.id ?? id}>{label}</label>
      <textarea id={id} aria-invalid={error ? true : undefined} aria-describedby={describedBy} {...input} />
      <Extra id={id} error={error} hint={hint} />
    </div>
  );
}

/** A labelled select; `options` maps each value to its label, in order, before any `children`. */
export function SelectField({
  label,
  error,
  hint,
  options,
  children,
  ...input
}: Common & SelectHTMLAttributes<HTMLSelectElement> & { options?: Readonly<Record<string, ReactNode>> }) {
  const { id, describedBy } = useIds(error, hint);
  return (
    <div className="field">
      <label htmlFor={input.id ?? id}>{label}</label>
      <select id={id} aria-invalid={error ? true : undefined} aria-describedby={describedBy} {...input}>
        {options &&
          Object.entries(options).map(([value, text]) => (
            <option key={value} value={value}>
              {text}
            </option>
          ))}
        {children}
      </select>
      <Extra id={id} error={error} hint={hint} />
    </div>
  );
}

export function CheckboxField({ label, ...input }: { label: ReactNode } & InputHTMLAttributes<HTMLInputElement>) {
  return (
    <label className="checkbox">
      <input type="checkbox" {...input} /> {label}
    </label>
  );
}
