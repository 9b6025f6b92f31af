import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './databases';

const ROOT = join(__dirname, '..', '..');

/** A project whose node_modules lacks some packages, and a way to run a script in it. */
export interface PartialInstall {
  dir: string;
  /** Runs `code` (CommonJS) in the project; resolves with how it ended, never rejects. */
  run(code: string, env?: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }>;
  remove(): void;
}

/**
 * A project that has flowtrail (the built dist/) and every package of this checkout's
 * node_modules except `missing`, each a symbolic link. Run with --preserve-symlinks, Node resolves
 * every `require` from the link's place, so `missing` really cannot be found, by flowtrail, by
 * TypeORM or by the writer thread: no module loader is patched.
 */
export function installWithout(missing: readonly string[]): PartialInstall {
  const dir = tempDir('flowtrail-install-');
  const modules = join(dir, 'node_modules');
  mkdirSync(modules);
  for (const name of readdirSync(join(ROOT, 'node_modules'))) {
    if (name.startsWith('.') || missing.includes(name)) continue;
    symlinkSync(join(ROOT, 'node_modules', name), join(modules, name));
  }
  const self = join(modules, 'flowtrail');
  mkdirSync(self);
  for (const entry of ['package.json', 'dist']) symlinkSync(join(ROOT, entry), join(self, entry));
  return {
    dir,
    run(code, env = {}) {
      const script = join(dir, `script-${Date.now()}-${Math.random().toString(36).slice(2)}.js`);
      writeFileSync(script, code);
      return new Promise((resolve) => {
        execFile(
          process.execPath,
          ['--preserve-symlinks', script],
          { cwd: dir, env: { ...process.env, ...env } },
          (error, stdout, stderr) => {
            resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
          },
        );
      });
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
