import { useEffect, useState, useSyncExternalStore } from "react";
import type { LiveConnection } from "../lib/urql.ts";

/** A banner while the WebSocket for live updates is down (it reconnects by itself). */
export function LiveNotice({ live }: { live: LiveConnection }) {
  const status = useSyncExternalStore(
    live.subscribe,
    () => live.status,
    () => live.status,
  );
  // The first connection takes a moment: don't flash the banner for it.
  const [graceOver, setGraceOver] = useState(false);
  useEffect(() => {
    const t = setTimeout(() => setGraceOver(true), 3000);
    return () => clearTimeout(t);
  }, []);
  const down = status === "down" || (status === "connecting" && graceOver);
  return (
    <div role="status" aria-live="polite" className={down ? "live-notice" : "visually-hidden"}>
      {down ? "Live connection down: progress updates will resume when it reconnects (retrying…)." : ""}
    </div>
  );
}
