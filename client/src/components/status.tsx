import type { ReactNode } from "react";
import type { CombinedError } from "urql";
import { errorMessage } from "../lib/errors.ts";

export function Loading({ label = "Loading…" }: { label?: string }) {
  return (
    <p className="muted" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" /> {label}
    </p>
  );
}

/**
 * How "Try again" re-reads: past the cache, from the server. A query's own refetch fits as it is
 * (`retry={refetch}`), so no screen states it.
 */
export type Retry = (context: { requestPolicy: "network-only" }) => void;

export function ErrorNotice({ error, retry }: { error: CombinedError | string; retry?: Retry }) {
  const message = typeof error === "string" ? error : errorMessage(error);
  return (
    <div className="notice error" role="alert">
      <span>{message}</span>
      {retry && (
        <button type="button" className="link" onClick={() => retry({ requestPolicy: "network-only" })}>
          Try again
        </button>
      )}
    </div>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="empty">{children}</p>;
}

interface QueryStateProps<T> {
  result: { fetching: boolean; error?: CombinedError | undefined; data?: T | undefined };
  retry?: Retry;
  loadingLabel?: string;
  children: (data: T) => ReactNode;
}

/** Loading until the first data, an error with a retry button, else the children with the data. */
export function QueryState<T>({ result, retry, loadingLabel, children }: QueryStateProps<T>) {
  if (result.data) {
    return (
      <>
        {result.error && <ErrorNotice error={result.error} retry={retry} />}
        {children(result.data)}
      </>
    );
  }
  if (result.error) return <ErrorNotice error={result.error} retry={retry} />;
  return <Loading label={loadingLabel} />;
}

/** A status line for the outcome of a form submit: success (polite) or error (alert). */
export function FormStatus({ error, success }: { error?: string | null; success?: string | null }) {
  if (error)
    return (
      <p className="form-status error" role="alert">
        {error}
      </p>
    );
  return (
    <p className="form-status ok" role="status" aria-live="polite">
      {success ?? ""}
    </p>
  );
}
