// A small pathname router: the app has a handful of flat screens, so a library would add more than it saves.
import { type AnchorHTMLAttributes, type MouseEvent, useSyncExternalStore } from "react";
import { newEntryState, rememberScroll } from "./scroll.ts";

const NAVIGATE = "userplane:navigate";

function subscribe(listener: () => void) {
  window.addEventListener("popstate", listener);
  window.addEventListener(NAVIGATE, listener);
  return () => {
    window.removeEventListener("popstate", listener);
    window.removeEventListener(NAVIGATE, listener);
  };
}

const current = () => window.location.pathname + window.location.search;

export function navigate(to: string, options: { replace?: boolean; keepScroll?: boolean } = {}) {
  if (to === current()) return;
  rememberScroll();
  if (options.replace) window.history.replaceState(window.history.state ?? newEntryState(), "", to);
  else {
    window.history.pushState(newEntryState(), "", to);
    // A new page starts at its top; a filter change (keepScroll) stays where the user is.
    if (!options.keepScroll) window.scrollTo(0, 0);
  }
  window.dispatchEvent(new Event(NAVIGATE));
}

/** Sets (or, with null, removes) query-string parameters of the current page, e.g. a filter. */
export function setSearchParams(changes: Record<string, string | null>, options: { push?: boolean } = {}) {
  const url = new URL(window.location.href);
  for (const [k, v] of Object.entries(changes)) {
    if (v === null || v === "") url.searchParams.delete(k);
    else url.searchParams.set(k, v);
  }
  navigate(url.pathname + url.search, { replace: !options.push, keepScroll: true });
}

/** Path plus query string, e.g. "/memories?type=fact". */
export function useLocation(): string {
  return useSyncExternalStore(subscribe, current, () => "/");
}

export function usePathname(): string {
  return useLocation().split("?")[0] ?? "/";
}

export function useSearchParam(name: string): string | null {
  const loc = useLocation();
  const q = loc.includes("?") ? loc.slice(loc.indexOf("?")) : "";
  return new URLSearchParams(q).get(name);
}

/** Matches "/analyses/:id" style patterns; returns the params or null. */
export function matchPath(pattern: string, path: string): Record<string, string> | null {
  const p = pattern.split("/").filter(Boolean);
  const s = path.split("/").filter(Boolean);
  if (p.length !== s.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < p.length; i++) {
    const seg = p[i] as string;
    const val = s[i] as string;
    if (seg.startsWith(":")) params[seg.slice(1)] = decodeURIComponent(val);
    else if (seg !== val) return null;
  }
  return params;
}

export function Link({ to, onClick, ...rest }: AnchorHTMLAttributes<HTMLAnchorElement> & { to: string }) {
  const handle = (e: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(e);
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(to);
  };
  return <a href={to} onClick={handle} {...rest} />;
}
