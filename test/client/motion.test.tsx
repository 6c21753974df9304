// useMotion: the "Animations" preference and the system's reduced motion reach animations that
// script draws (the daily chart's bars), as widgets.css makes them reach CSS transitions.
import { renderHook } from "@testing-library/react";
import type { ReactNode } from "react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { PreferencesProvider, useMotion } from "../../client/src/lib/preferences.tsx";

function motionWith(preferences: unknown, reducedMotion: boolean) {
  vi.stubGlobal("matchMedia", (query: string) => ({
    matches: reducedMotion && query === "(prefers-reduced-motion: reduce)",
    addEventListener() {},
    removeEventListener() {},
  }));
  const wrapper = ({ children }: { children: ReactNode }) => (
    <PreferencesProvider preferences={preferences}>{children}</PreferencesProvider>
  );
  return renderHook(() => useMotion(), { wrapper }).result.current;
}

afterEach(() => vi.unstubAllGlobals());

describe("useMotion", () => {
  it("lets motion play by default", () => {
    expect(motionWith(null, false)).toBe(true);
  });
  it("stops it when the Animations preference is off", () => {
    expect(motionWith({ animationsEnabled: false }, false)).toBe(false);
  });
  it("stops it when the system asks for reduced motion", () => {
    expect(motionWith({ animationsEnabled: true }, true)).toBe(false);
  });
});
