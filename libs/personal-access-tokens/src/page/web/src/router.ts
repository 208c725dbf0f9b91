import { useEffect, useState, type MouseEvent } from 'react';

/** Where the page is mounted (the server writes it into index.html). */
export const BASE = document.querySelector<HTMLMetaElement>('meta[name="pat-page-base"]')?.content ?? '';

export interface Location {
  /** The path below BASE, such as `/tokens/new` (`/` for the table). */
  path: string;
  params: URLSearchParams;
}

function current(): Location {
  const path = window.location.pathname.startsWith(BASE) ? window.location.pathname.slice(BASE.length) || '/' : '/';
  return { path, params: new URLSearchParams(window.location.search) };
}

const listeners = new Set<() => void>();
window.addEventListener('popstate', () => listeners.forEach((listener) => listener()));

export function href(path: string, params?: URLSearchParams): string {
  const search = params?.toString();
  return `${BASE}${path === '/' ? '' : path}${search ? `?${search}` : ''}`;
}

/** Moves to another view of the page without a reload. */
export function navigate(path: string, params?: URLSearchParams, options: { replace?: boolean } = {}): void {
  const url = href(path, params);
  if (options.replace) window.history.replaceState(null, '', url);
  else window.history.pushState(null, '', url);
  listeners.forEach((listener) => listener());
}

export function useLocation(): Location {
  const [location, setLocation] = useState(current);
  useEffect(() => {
    const listener = () => setLocation(current());
    listeners.add(listener);
    return () => void listeners.delete(listener);
  }, []);
  return location;
}

/** onClick for in-page links: a plain click navigates in place; a modified click opens as usual. */
export function follow(path: string, params?: URLSearchParams) {
  return (event: MouseEvent<HTMLAnchorElement>) => {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(path, params);
  };
}
