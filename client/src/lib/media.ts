import { useSyncExternalStore } from "react";

/** The width under which the layout is a phone's (one column; theme.css uses the same). */
export const PHONE_WIDTH = "(max-width: 720px)";

/** Whether a CSS media query matches now, following it as it changes (a phone turned, a window resized). */
export function useMediaQuery(query: string): boolean {
  return useSyncExternalStore(
    (onChange) => {
      // Absent only outside a browser (jsdom): nothing ever changes there.
      if (!window.matchMedia) return () => {};
      const list = window.matchMedia(query);
      list.addEventListener("change", onChange);
      return () => list.removeEventListener("change", onChange);
    },
    () => window.matchMedia?.(query).matches ?? false,
    () => false,
  );
}
