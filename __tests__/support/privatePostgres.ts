import { execFile, execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A PostgreSQL server of our own, in a temporary folder on a free port, that a test may stop and
 * start at will: the shared server on 5432 serves other suites at the same time and must never
 * go down. No jest globals here, so the bench can use it too.
 */
export interface PrivatePostgres {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` (trust authentication). */
  readonly url: string;
  readonly port: number;
  /** Fast shutdown: sessions are terminated, as when an operator or a failover stops the server. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops the server (immediately) and removes its folder. Idempotent, synchronous, never throws. */
  destroy(): void;
}

/** The folder holding initdb and pg_ctl: FLOWTRAIL_TEST_PG_BIN, the newest /usr/lib/postgresql/<n>/bin, or PATH. */
export function postgresBinDir(): string | null {
  const candidates: string[] = [];
  if (process.env.FLOWTRAIL_TEST_PG_BIN) candidates.push(process.env.FLOWTRAIL_TEST_PG_BIN);
  try {
    const versions = readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((version) => join('/usr/lib/postgresql', version, 'bin')));
  } catch {
    // Not a Debian-style install; try PATH below.
  }
  candidates.push(...(process.env.PATH ?? '').split(':').filter(Boolean));
  return candidates.find((dir) => existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl'))) ?? null;
}

/** initdb refuses to run as root: then the cluster belongs to the `postgres` account. */
function runAs(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

const live = new Set<PrivatePostgres>();
let exitHookInstalled = false;

/** Creates and starts a cluster. Throws when the binaries are missing or the server will not start. */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = postgresBinDir();
  if (!bin) throw new Error('PostgreSQL server binaries (initdb, pg_ctl) not found; set FLOWTRAIL_TEST_PG_BIN');
  const owner = runAs();
  const root = mkdtempSync(join(tmpdir(), 'flowtrail-pg-'));
  const data = join(root, 'data');
  if (owner) chownSync(root, owner.uid, owner.gid);
  const run = (command: string, args: string[]) =>
    new Promise<void>((resolve, reject) => {
      execFile(join(bin, command), args, { ...owner, cwd: root, timeout: 60_000 }, (error, _stdout, stderr) =>
        error ? reject(new Error(`${command} ${args[0] ?? ''} failed: ${stderr || error.message}`)) : resolve(),
      );
    });
  const runSync = (command: string, args: string[]) =>
    execFileSync(join(bin, command), args, { ...owner, cwd: root, stdio: 'ignore', timeout: 30_000 });

  let port = 0;
  const pgCtlStart = () =>
    run('pg_ctl', ['-D', data, '-l', join(root, 'server.log'), '-w', '-o', `-p ${port} -k ${root} -c listen_addresses=127.0.0.1`, 'start']);

  let destroyed = false;
  const cluster: PrivatePostgres = {
    get url() {
      return `postgres://postgres@127.0.0.1:${port}/postgres`;
    },
    get port() {
      return port;
    },
    stop: () => run('pg_ctl', ['-D', data, '-w', '-m', 'fast', 'stop']),
    start: pgCtlStart,
    destroy: () => {
      if (destroyed) return;
      destroyed = true;
      live.delete(cluster);
      try {
        runSync('pg_ctl', ['-D', data, '-m', 'immediate', 'stop']);
      } catch {
        // Already stopped.
      }
      rmSync(root, { recursive: true, force: true });
    },
  };
  live.add(cluster);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    // A test run that dies before afterAll must not leave a postmaster and its folder behind.
    process.once('exit', () => [...live].forEach((each) => each.destroy()));
  }
  try {
    await run('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-sync']);
    // Another process may take the port between freePort() and the server's bind: try a few.
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      try {
        await pgCtlStart();
        break;
      } catch (error) {
        if (attempt === 3) throw error;
      }
    }
  } catch (error) {
    cluster.destroy();
    throw error;
  }
  return cluster;
}
