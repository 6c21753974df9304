import { useEffect, useRef, useState, useSyncExternalStore } from "react";
import { toast } from "sonner";
import type { LiveConnection } from "../lib/urql.ts";

/**
 * A quiet marker while live updates are paused (the WebSocket is down; it reconnects by itself),
 * and a toast once the screen has caught up after the reconnect (every query on it re-read).
 */
export function LiveNotice({ live }: { live: LiveConnection }) {
  const status = useSyncExternalStore(
    live.subscribe,
    () => live.status,
    () => live.status,
  );
  const caughtUp = useSyncExternalStore(
    live.subscribe,
    () => live.caughtUp,
    () => live.caughtUp,
  );
  // The first connection takes a moment: don't flash the marker for it.
  const [graceOver, setGraceOver] = useState(false);
  useEffect(() => {
    const t = setTimeout(() => setGraceOver(true), 3000);
    return () => clearTimeout(t);
  }, []);
  const seen = useRef(caughtUp);
  useEffect(() => {
    if (caughtUp === seen.current) return;
    seen.current = caughtUp;
    // One toast at a time, however often the connection drops.
    toast.success("Live updates resumed: this screen is up to date.", { id: "live-caught-up", duration: 4000 });
  }, [caughtUp]);
  const down = status === "down" || (status === "connecting" && graceOver);
  return (
    <div role="status" aria-live="polite" className={down ? "live-notice" : "visually-hidden"}>
      {down && (
        <>
          <span className="live-dot" aria-hidden="true" />
          Live updates paused: reconnecting… What you see may be out of date until then.
        </>
      )}
    </div>
  );
}
