import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { gzipSync } from 'node:zlib';

/** One built file of the viewer, read once and kept in memory with its gzip form. */
export interface Asset {
  readonly body: Buffer;
  readonly gzipped: Buffer;
  readonly type: string;
  readonly etag: string;
}

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/**
 * Where `npm run build` writes the viewer's bundle: `dist/ui/assets` of the package, reached from
 * here as `src/ui` (tests) and `dist/ui` (the installed package), two folders below the root, or
 * as `build/src/ui` (the examples compiled by tsconfig.run.json), three below it.
 */
const ASSET_DIRS = [join(__dirname, '..', '..', 'dist', 'ui', 'assets'), join(__dirname, '..', '..', '..', 'dist', 'ui', 'assets')];
export const ASSET_DIR = ASSET_DIRS.find((dir) => existsSync(dir)) ?? ASSET_DIRS[0]!;

let loaded: ReadonlyMap<string, Asset> | undefined;

/**
 * The viewer's files by name (`app.js`), read from ASSET_DIR on first use. A request can only name
 * a key of this map: no path from a URL ever reaches the file system.
 */
export function viewerAssets(): ReadonlyMap<string, Asset> {
  if (loaded) return loaded;
  const assets = new Map<string, Asset>();
  if (existsSync(ASSET_DIR)) {
    for (const name of readdirSync(ASSET_DIR)) {
      const type = TYPES[extname(name)];
      if (type === undefined) continue;
      const body = readFileSync(join(ASSET_DIR, name));
      const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
      assets.set(name, { body, gzipped: gzipSync(body), type, etag });
    }
  }
  loaded = assets;
  return assets;
}
