import { useEffect, useState } from 'preact/hooks';
import { basePath } from './http';

/** Where the viewer is: the path below the base, and the query string (the filters). */
export interface Place {
  path: string;
  search: URLSearchParams;
}

function current(): Place {
  const path = location.pathname.startsWith(basePath) ? location.pathname.slice(basePath.length) || '/' : '/';
  return { path, search: new URLSearchParams(location.search) };
}

const listeners = new Set<() => void>();

/** Goes to a viewer path (`/executions/x`, `/?status=error`) through history, as a link click would. */
export function navigate(to: string, options: { replace?: boolean } = {}): void {
  const url = `${basePath}${to}`;
  if (options.replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  for (const listener of listeners) listener();
}

/** An href for a viewer path: links stay real links (open in a new tab, copy, keyboard). */
export function href(to: string): string {
  return `${basePath}${to}`;
}

/** The current place, re-rendered on navigation and on the back and forward buttons. */
export function usePlace(): Place {
  const [place, setPlace] = useState(current);
  useEffect(() => {
    const update = () => setPlace(current());
    listeners.add(update);
    addEventListener('popstate', update);
    return () => {
      listeners.delete(update);
      removeEventListener('popstate', update);
    };
  }, []);
  return place;
}

/**
 * Lets a plain left click on a link to a viewer page change the page without reloading it; any
 * other click (new tab, modifier keys) is left to the browser.
 */
export function interceptLinks(root: HTMLElement): void {
  root.addEventListener('click', (event) => {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    const link = (event.target as Element | null)?.closest('a');
    if (!link || link.target || link.hasAttribute('download') || link.origin !== location.origin) return;
    if (!link.pathname.startsWith(basePath)) return;
    event.preventDefault();
    navigate(`${link.pathname.slice(basePath.length) || '/'}${link.search}`);
    window.scrollTo(0, 0);
  });
}
