/** A same-origin path to return to after signing in; anything else falls back to "/". */
export function safeNext(next: string | null | undefined): string {
  if (!next?.startsWith("/") || next.startsWith("//") || next.startsWith("/\\")) return "/";
  if (next.startsWith("/signin") || next.startsWith("/signup")) return "/";
  return next;
}

export function signInPath(next: string): string {
  const n = safeNext(next);
  return n === "/" ? "/signin" : `/signin?next=${encodeURIComponent(n)}`;
}

/** utm_* parameters and the referrer of the visit, recorded on the new session. */
export function attributionFrom(search: string, referrer: string) {
  const q = new URLSearchParams(search);
  const a = {
    utmSource: q.get("utm_source") ?? undefined,
    utmMedium: q.get("utm_medium") ?? undefined,
    utmCampaign: q.get("utm_campaign") ?? undefined,
    referrerUrl: referrer || undefined,
  };
  return Object.values(a).some(Boolean) ? a : undefined;
}
