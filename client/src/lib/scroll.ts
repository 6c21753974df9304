// Back and Forward return to where the page was scrolled. The browser's own restoration runs at
// popstate, before the screen has re-rendered its lists, so it lands short; this waits for the
// content to be tall enough (or gives up after a moment).
import { useEffect } from "react";

const positions = new Map<string, number>();
let lastKey = 0;

export function entryKey(): string | null {
  const key = (window.history.state as { key?: unknown } | null)?.key;
  return typeof key === "string" ? key : null;
}

/** Called by navigate() before it leaves the current history entry. */
export function rememberScroll() {
  const key = entryKey();
  if (key) positions.set(key, window.scrollY);
}

export function newEntryState(): { key: string } {
  lastKey++;
  return { key: `${Date.now().toString(36)}-${lastKey}` };
}

export function useScrollRestoration(active: boolean) {
  useEffect(() => {
    if (!active) return;
    if ("scrollRestoration" in window.history) window.history.scrollRestoration = "manual";
    if (!entryKey()) window.history.replaceState(newEntryState(), "");
    let frame = 0;
    const onPop = () => {
      cancelAnimationFrame(frame);
      const key = entryKey();
      const target = (key && positions.get(key)) || 0;
      const until = performance.now() + 2000;
      const step = () => {
        const room = document.documentElement.scrollHeight - window.innerHeight;
        window.scrollTo(0, Math.min(target, room));
        if (room < target && performance.now() < until) frame = requestAnimationFrame(step);
      };
      frame = requestAnimationFrame(step);
    };
    const onScroll = () => rememberScroll();
    window.addEventListener("popstate", onPop);
    window.addEventListener("scroll", onScroll, { passive: true });
    return () => {
      cancelAnimationFrame(frame);
      window.removeEventListener("popstate", onPop);
      window.removeEventListener("scroll", onScroll);
    };
  }, [active]);
}
