/** Reading the viewer's JSON API from the page (the wire types are in api.ts, which needs no DOM). */

/** What the API answers for a request it refuses; `field` names the bad parameter. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

/** The path the viewer is mounted under, given by the page (`<body data-base>`). */
export const basePath: string = document.body.dataset.base ?? '';

export async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  const response = await fetch(`${basePath}${path}`, { signal, headers: { Accept: 'application/json' } });
  // A body the caller's abort cut short is that abort, not an empty answer: read as null, it would
  // reach the caller as a success (a list page's `null.items`) for a request it has given up on.
  const body = (await response.json().catch((reason: unknown) => {
    if (signal?.aborted) throw reason;
    return null;
  })) as { error?: { message?: string; field?: string } } | null;
  if (!response.ok) {
    throw new ApiError(response.status, body?.error?.message ?? `${response.status} ${response.statusText}`, body?.error?.field);
  }
  return body as T;
}
