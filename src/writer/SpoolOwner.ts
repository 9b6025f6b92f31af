import { readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, join } from 'node:path';
import { makeFolder } from '../makeFolder';

/** `owner.json` of a spool folder: who writes it, and into which database its records go. */
export interface SpoolOwner {
  version: 1;
  instanceId: string;
  pid: number;
  hostname: string;
  /** The process's start time as the kernel tells it (Linux), so a recycled pid is not mistaken for the owner. */
  processStart: string | null;
  /** Hash of the database the records belong to: a folder is only ever replayed into that database. */
  database: string;
  createdAt: number;
}

/** What goes wrong while adopting, for the spool to report once per kind. */
export type AdoptionTrouble = 'adopt' | 'host';

const OWNER_FILE = 'owner.json';
const ADOPTED = 'adopted';

/** Spool folders held by live loggers of this process: a folder with our pid and not in here was left by a closed one. */
const liveFolders = new Set<string>();
const PROCESS_START = processStartOf(process.pid);

/** Marks `folder` as written by a live logger of this process, until `releaseFolder`. */
export function holdFolder(folder: string): void {
  liveFolders.add(folder);
}

export function releaseFolder(folder: string): void {
  liveFolders.delete(folder);
}

/** Creates `folder` with its owner file, written whole (through a rename) before any segment exists. */
export function writeOwner(folder: string, instanceId: string, database: string): void {
  makeFolder(folder);
  const owner: SpoolOwner = {
    version: 1,
    instanceId,
    pid: process.pid,
    hostname: hostname(),
    processStart: PROCESS_START,
    database,
    createdAt: Date.now(),
  };
  const temporary = join(folder, `${OWNER_FILE}.tmp`);
  writeFileSync(temporary, JSON.stringify(owner));
  renameSync(temporary, join(folder, OWNER_FILE));
}

/** The owner of a spool folder; null when it has none (yet) or it is unreadable. */
export function readOwner(folder: string): SpoolOwner | null {
  try {
    const owner = JSON.parse(readFileSync(join(folder, OWNER_FILE), 'utf8')) as SpoolOwner;
    return owner.version === 1 && typeof owner.instanceId === 'string' && typeof owner.pid === 'number' ? owner : null;
  } catch {
    return null;
  }
}

/**
 * Takes over the folders in `dir` of dead loggers on `database`: each is renamed into
 * `<adopter>/adopted/` (a rename is atomic, so two loggers never take the same folder). A folder
 * whose owner runs on another host is left alone, since it may still be writing. Returns the
 * folders taken, in name order. Never throws: trouble goes to `report`.
 */
export function adoptOrphans(
  dir: string,
  adopter: { folder: string; database: string; prepare: () => void },
  report: (kind: AdoptionTrouble, error: unknown) => void,
): string[] {
  let names: string[];
  try {
    const self = basename(adopter.folder);
    names = readdirSync(dir, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && entry.name !== self)
      .map((entry) => entry.name)
      .sort();
  } catch (error) {
    // No folder (yet), or not a folder: nothing to adopt; appends report it if it cannot be created.
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') report('adopt', error);
    return [];
  }
  const taken: string[] = [];
  for (const name of names) {
    const folder = join(dir, name);
    const owner = readOwner(folder);
    // No owner file yet: a live logger is creating the folder (it is written before any segment).
    if (owner === null || owner.database !== adopter.database) continue;
    if (owner.hostname !== hostname()) {
      const message = `Spool folder ${folder} belongs to a logger on host "${owner.hostname}", which may still be running; it is not replayed from here`;
      report('host', new Error(message));
      continue;
    }
    if (ownerAlive(owner, folder)) continue;
    try {
      adopter.prepare();
      makeFolder(join(adopter.folder, ADOPTED));
      const target = join(adopter.folder, ADOPTED, name);
      renameSync(folder, target);
      taken.push(target);
    } catch (error) {
      // ENOENT: another logger adopted it first.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') report('adopt', error);
    }
  }
  return taken;
}

/** The folders an adopted folder's owner had itself adopted (older still than its own records), in name order. */
export function adoptedWithin(folder: string): string[] {
  try {
    return readdirSync(join(folder, ADOPTED))
      .sort()
      .map((name) => join(folder, ADOPTED, name));
  } catch {
    return []; // none
  }
}

/** Whether the process that owns a folder on this host may still be writing it. */
function ownerAlive(owner: SpoolOwner, folder: string): boolean {
  if (owner.pid === process.pid && owner.processStart === PROCESS_START) return liveFolders.has(folder);
  try {
    process.kill(owner.pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH'; // EPERM: running, as another user
  }
  // The pid runs, but it may be a new process that reuses a dead owner's number.
  const start = processStartOf(owner.pid);
  return start === null || owner.processStart === null || start === owner.processStart;
}

/** Field 22 of /proc/<pid>/stat (start time in clock ticks since boot); null where there is no /proc. */
function processStartOf(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count fields after its last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}
