/**
 * A request the viewer's API refuses, with the status to answer and, for a bad parameter, its
 * name: the browser shows the message next to the filter that caused it.
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

HttpError.prototype.name = 'HttpError';
