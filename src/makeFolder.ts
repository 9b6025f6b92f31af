import { existsSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** Folders flowtrail creates hold history and spooled records: only their owner may enter them. */
export const PRIVATE_FOLDER_MODE = 0o700;
/** And the files in them. */
export const PRIVATE_FILE_MODE = 0o600;

/**
 * `mkdir -p` that fails rather than hangs; the folders it creates are private (existing ones are left as they are). Node's `mkdirSync(path, { recursive: true })` loops
 * forever when mkdir(2) answers ENOENT for a folder whose parent exists, as it does anywhere under
 * /proc and on some virtual file systems; creating one level at a time gets the error instead.
 */
export function makeFolder(path: string): void {
  const missing: string[] = [];
  for (let folder = resolve(path); !existsSync(folder);) {
    missing.push(folder);
    const parent = dirname(folder);
    if (parent === folder) break;
    folder = parent;
  }
  for (const folder of missing.reverse()) {
    try {
      mkdirSync(folder, PRIVATE_FOLDER_MODE);
    } catch (error) {
      // Another process created it in between: what was wanted.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
}
