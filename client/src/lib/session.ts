// The session token, kept in localStorage so a reload stays signed in.
// Components read it with useSessionToken(); the urql client is rebuilt when it changes.
import { useSyncExternalStore } from "react";

const KEY = "userplane.token";
const listeners = new Set<() => void>();

function read(): string | null {
  try {
    return localStorage.getItem(KEY);
  } catch {
    return null;
  }
}

let token: string | null = read();
/** Why the last session ended without the user signing out, shown once on the sign-in screen. */
let endedReason: string | null = null;
/** Set while the user signs out: the server ending the session then is expected, not news. */
let signingOut = false;

function emit() {
  for (const l of listeners) l();
}

export const session = {
  get token() {
    return token;
  },
  set(next: string) {
    token = next;
    endedReason = null;
    try {
      localStorage.setItem(KEY, next);
    } catch {
      // private mode: the session lasts as long as the tab
    }
    emit();
  },
  /** Signs out locally; with a reason, the sign-in screen explains why. */
  clear(reason?: string) {
    if (token === null && !reason) return;
    token = null;
    endedReason = signingOut ? null : (reason ?? null);
    signingOut = false;
    try {
      localStorage.removeItem(KEY);
    } catch {
      // ignore
    }
    emit();
  },
  /** The user asked to sign out: a session ended meanwhile is not reported. */
  beginSignOut() {
    signingOut = true;
  },
  /** The sign-out did not happen after all (a refused account deletion): report endings again. */
  abortSignOut() {
    signingOut = false;
  },
  takeEndedReason(): string | null {
    const r = endedReason;
    endedReason = null;
    return r;
  },
  peekEndedReason(): string | null {
    return endedReason;
  },
  subscribe(listener: () => void) {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
};

// Another tab signed in or out.
if (typeof window !== "undefined") {
  window.addEventListener("storage", (e) => {
    if (e.key !== KEY) return;
    token = e.newValue;
    emit();
  });
}

export function useSessionToken(): string | null {
  return useSyncExternalStore(
    session.subscribe,
    () => token,
    () => token,
  );
}
