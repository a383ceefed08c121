/**
 * Client-side routes on the History API. The Worker's assets answer every unknown path with index.html
 * (single-page-application fallback), so each route is also a deep link.
 */
import { useEffect, useState } from "preact/hooks";

export const ROUTES = {
  "/": "Today",
  "/week": "Week",
  "/insights": "Insights",
  "/tasks": "Tasks",
  "/team": "Team",
  "/settings": "Settings",
  "/signin": "Sign in",
  "/signup": "Sign up",
} as const;
export type Route = keyof typeof ROUTES;

const isRoute = (p: string): p is Route => Object.hasOwn(ROUTES, p);

function current(): Route {
  const p = location.pathname.replace(/\/+$/, "") || "/";
  return isRoute(p) ? p : "/";
}

const listeners = new Set<() => void>();
window.addEventListener("popstate", () => listeners.forEach((l) => l()));

export function navigate(to: Route, { replace = false } = {}) {
  if (to !== location.pathname || location.search) history[replace ? "replaceState" : "pushState"](null, "", to);
  listeners.forEach((l) => l());
}

export function useRoute(): Route {
  const [route, setRoute] = useState(current);
  useEffect(() => {
    const l = () => setRoute(current());
    listeners.add(l);
    return () => listeners.delete(l);
  }, []);
  return route;
}

/** An <a> click that stays in the page (a modified click still opens a new tab). */
export function follow(e: MouseEvent, to: Route) {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  e.preventDefault();
  navigate(to);
}
