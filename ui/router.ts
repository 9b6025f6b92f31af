import { useEffect, useState } from 'preact/hooks';
import { basePath } from './http';

/** Where the viewer is: the path below the base, and the query string (the filters). */
export interface Place {
  path: string;
  search: URLSearchParams;
  /** Parameters of the URL left out of `search`: not valid percent-encoding (`%E0%A4%A`). */
  ignored: string[];
}

function current(): Place {
  const path = location.pathname.startsWith(basePath) ? location.pathname.slice(basePath.length) || '/' : '/';
  return { path, ...readSearch(location.search) };
}

/**
 * The query string's parameters. URLSearchParams would turn a broken escape into U+FFFD and
 * filter on that; such a parameter is left out instead, and named, so the page can say so.
 */
function readSearch(query: string): Pick<Place, 'search' | 'ignored'> {
  const search = new URLSearchParams();
  const ignored: string[] = [];
  const decode = (text: string) => decodeURIComponent(text.replace(/\+/g, ' '));
  for (const pair of query.replace(/^\?/, '').split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const [name, value] = eq === -1 ? [pair, ''] : [pair.slice(0, eq), pair.slice(eq + 1)];
    try {
      search.append(decode(name), decode(value));
    } catch {
      ignored.push([...new URLSearchParams(pair).keys()][0] ?? name);
    }
  }
  return { search, ignored };
}

/** A path segment decoded, or null when it is not valid percent-encoding. */
export function decodeSegment(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
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
