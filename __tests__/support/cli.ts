import { execFile } from 'node:child_process';
import { join } from 'node:path';

/** The built CLI (dist/ is built once per `jest` run by globalSetup). */
export const CLI_MAIN = join(__dirname, '..', '..', 'dist', 'cli', 'main.js');

const ROOT = join(__dirname, '..', '..');

/** How a run of the CLI ended: its exit code (-1 when it was killed by a signal) and everything it printed. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** Variables to add, or to remove (undefined), after the cleaning described at `cli`. */
  env?: Record<string, string | undefined>;
  /** @default the repository root */
  cwd?: string;
}

/**
 * Runs the built CLI as a child process and resolves (never rejects) with how it ended. The
 * environment is cleaned of anything that changes output (jest's FORCE_COLOR, the developer's
 * FLOWTRAIL_DB…) and pinned to UTC; `env` adds or removes (undefined) more.
 */
export function cli(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = { ...process.env, TZ: 'UTC', NO_COLOR: '1' };
  for (const name of ['FORCE_COLOR', 'FLOWTRAIL_DB', 'FLOWTRAIL_DEBUG']) delete env[name];
  for (const [name, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI_MAIN, ...args],
      { env, cwd: options.cwd ?? ROOT, maxBuffer: 256 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}
