// Checkpoint files that survive a crash: the bytes go to a temporary file in the target's
// folder, which is flushed to disk and then renamed over the target (an atomic replacement on
// POSIX file systems), and the folder is flushed so the rename itself is durable. A process
// killed at any instant leaves the old checkpoint or the new one, never a mix.
import { closeSync, fsyncSync, openSync, readdirSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { deserializeState, serializeState } from './serialize';

function checkPath(path: unknown): string {
  if (typeof path !== 'string' || path === '') throw new TypeError('path must be a non-empty string');
  return path;
}

// Temporary files are named after the target, this host and this process: .<name>.<host>.<pid>.<random>.tmp
const tempPrefix = (path: string) => `.${basename(path)}.`;
function tempPath(path: string): string {
  return join(dirname(path), `${tempPrefix(path)}${hostname()}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
}

/**
 * Temporary files of this target left by a process of this host that no longer runs (killed
 * while saving). Those of live processes, this one included, may still be written to.
 */
function staleTemps(path: string, names: string[]): string[] {
  const prefix = `${tempPrefix(path)}${hostname()}.`;
  return names
    .filter((name) => name.startsWith(prefix) && name.endsWith('.tmp'))
    .filter((name) => {
      const pid = Number(name.slice(prefix.length).split('.')[0]);
      if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return false;
      try {
        process.kill(pid, 0);
        return false;
      } catch (e) {
        return (e as NodeJS.ErrnoException).code === 'ESRCH';
      }
    })
    .map((name) => join(dirname(path), name));
}

/** Opening a folder to flush it is a POSIX thing; elsewhere (Windows) the rename must do. */
const NO_FOLDER_SYNC = new Set(['EISDIR', 'EPERM', 'EACCES', 'EINVAL', 'ENOTSUP']);

function syncFolderSync(folder: string): void {
  let fd: number;
  try {
    fd = openSync(folder, 'r');
  } catch (e) {
    if (NO_FOLDER_SYNC.has((e as NodeJS.ErrnoException).code ?? '')) return;
    throw e;
  }
  try {
    fsyncSync(fd);
  } catch (e) {
    if (!NO_FOLDER_SYNC.has((e as NodeJS.ErrnoException).code ?? '')) throw e;
  } finally {
    closeSync(fd);
  }
}

async function syncFolder(folder: string): Promise<void> {
  let handle;
  try {
    handle = await open(folder, 'r');
  } catch (e) {
    if (NO_FOLDER_SYNC.has((e as NodeJS.ErrnoException).code ?? '')) return;
    throw e;
  }
  try {
    await handle.sync();
  } catch (e) {
    if (!NO_FOLDER_SYNC.has((e as NodeJS.ErrnoException).code ?? '')) throw e;
  } finally {
    await handle.close();
  }
}

/** Why loading failed, with the file named; the error keeps its type (RangeError for damaged bytes). */
function named(path: string, e: unknown): unknown {
  if (e instanceof RangeError) return new RangeError(`${path}: ${e.message}`, { cause: e });
  return e;
}

/**
 * Writes `value` (anything serializeState takes: state dicts, weights, your own numbers) to
 * `path` so that a crash at any instant leaves either the previous file or the new one: a
 * temporary file beside it, flushed to disk, renamed over it, then the folder flushed. The
 * value is serialized first, so a value that cannot be saved changes no file. Temporary files
 * left by processes killed while saving this path are removed after a successful save.
 */
export async function saveCheckpoint(path: string, value: object): Promise<void> {
  checkPath(path);
  const bytes = serializeState(value);
  const temp = tempPath(path);
  const handle = await open(temp, 'wx');
  try {
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (e) {
    await unlink(temp).catch(() => {});
    throw e;
  }
  await syncFolder(dirname(path));
  for (const stale of staleTemps(path, await readdir(dirname(path)))) await unlink(stale).catch(() => {});
}

/** saveCheckpoint on the calling thread. */
export function saveCheckpointSync(path: string, value: object): void {
  checkPath(path);
  const bytes = serializeState(value);
  const temp = tempPath(path);
  const fd = openSync(temp, 'wx');
  try {
    try {
      for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at, bytes.length - at);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
  } catch (e) {
    try {
      unlinkSync(temp);
    } catch {
      // already gone
    }
    throw e;
  }
  syncFolderSync(dirname(path));
  for (const stale of staleTemps(path, readdirSync(dirname(path)))) {
    try {
      unlinkSync(stale);
    } catch {
      // removed by someone else meanwhile
    }
  }
}

/**
 * Reads a file written by saveCheckpoint (or serializeState). A damaged file throws a
 * RangeError naming the file and saying "truncated" or "corrupt"; a missing one, the usual
 * ENOENT error. Temporary files beside it are never read.
 */
export async function loadCheckpoint<T = Record<string, unknown>>(path: string): Promise<T> {
  checkPath(path);
  const bytes = await readFile(path);
  try {
    return deserializeState<T>(bytes);
  } catch (e) {
    throw named(path, e);
  }
}

/** loadCheckpoint on the calling thread. */
export function loadCheckpointSync<T = Record<string, unknown>>(path: string): T {
  checkPath(path);
  const bytes = readFileSync(path);
  try {
    return deserializeState<T>(bytes);
  } catch (e) {
    throw named(path, e);
  }
}
