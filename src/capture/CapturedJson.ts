/**
 * Data already captured as JSON text. The logger holds captured inputs and outputs in this form
 * so that they are serialized once, on the workflow's call, and the writer stores the text as it
 * is instead of encoding a copy again.
 */
export class CapturedJson {
  constructor(readonly json: string) {}

  /** Anything that re-encodes a record (the spool, a debugger) sees the data, not the wrapper. */
  toJSON(): unknown {
    return JSON.parse(this.json) as unknown;
  }
}
