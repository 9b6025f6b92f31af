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
  const body = (await response.json().catch(() => null)) as { error?: { message?: string; field?: string } } | null;
  if (!response.ok) {
    throw new ApiError(response.status, body?.error?.message ?? `${response.status} ${response.statusText}`, body?.error?.field);
  }
  return body as T;
}
