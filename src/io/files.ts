/**
 * Writing report files so that a crash, a full disk or a kill -9 never leaves a partial file
 * where a report should be (SPEC §7): the bytes go to a temporary file in the same directory,
 * are flushed to disk, and only then take the final name in one rename.
 */
import { createHash, randomBytes } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { unlinkSync } from 'node:fs';
import {
  link,
  lstat,
  mkdir,
  open,
  readdir,
  rename,
  unlink,
  type FileHandle,
} from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { isReaderGone } from './pipe.js';

/** What can be written: one string/buffer, or chunks produced as the report streams. */
export type FileContent =
  string | Uint8Array | Iterable<string | Uint8Array> | AsyncIterable<string | Uint8Array>;

/** Options of writeFileAtomic. */
export interface WriteFileOptions {
  /** Replace an existing file; without it an existing target is a UsageError naming --force. */
  force?: boolean;
  /** Create missing parent directories (cron jobs writing `reports/carbon-{period}.csv`). */
  createDirectories?: boolean;
  /**
   * Registers a handler for SIGINT/SIGTERM (IOStreams.onInterrupt): while the temp file exists,
   * an interrupted run removes it instead of leaving a hidden `.name.pid.rand.tmp` behind.
   */
  onInterrupt?: (handler: () => void) => () => void;
  /** Permission bits of a new file (default 0o666 less the umask, as for any file a tool creates). */
  mode?: number;
}

/** What was written, for the command's summary and an auditor's manifest. */
export interface WrittenFile {
  path: string;
  bytes: number;
  /** SHA-256 of the content, hex (reference/methodology.md §9.2: ship a SHA-256 manifest). */
  sha256: string;
}

/**
 * Writes `content` to `path` atomically: temp file beside it, fsync, then rename (with
 * `force`) or hard-link (without, so a file that appeared meanwhile is still not replaced).
 * On any failure the temp file is removed and the target is untouched.
 */
export async function writeFileAtomic(
  path: string,
  content: FileContent,
  options: WriteFileOptions = {},
): Promise<WrittenFile> {
  const target = resolve(path);
  const directory = dirname(target);
  await checkTarget(target, options.force === true);
  if (options.createDirectories === true) {
    try {
      await mkdir(directory, { recursive: true });
    } catch (error) {
      throw writeError(error, target, 'cannot create its directory');
    }
  }
  // Temp files of earlier runs that died (kill -9, power loss) before they could clean up.
  await removeStaleTemporaries(directory, basename(target));
  // A dot-name ending in .tmp: node_exporter's textfile collector (and most globbing) ignores it.
  const temporary = join(
    directory,
    `.${basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`,
  );
  // The handler is in place before the file exists: a signal between the open and its
  // continuation (a busy machine) must not find the default action and leave the file behind.
  const release =
    options.onInterrupt?.(() => {
      try {
        unlinkSync(temporary);
      } catch {
        // Not created yet, already renamed into place, or removed.
      }
    }) ?? (() => undefined);
  let handle: FileHandle | undefined;
  try {
    handle = await open(
      temporary,
      fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_WRONLY,
      options.mode ?? 0o666,
    );
  } catch (error) {
    release();
    throw writeError(error, target, 'cannot be written');
  }
  const hash = createHash('sha256');
  let bytes = 0;
  try {
    try {
      for await (const chunk of chunksOf(content)) {
        const buffer = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
        if (buffer.byteLength === 0) continue;
        hash.update(buffer);
        bytes += buffer.byteLength;
        await writeAll(handle, buffer);
      }
      // The data must be on disk before the name points at it, or a power cut could leave an
      // empty file under the final name (ext4 delayed allocation).
      await handle.sync();
    } catch (error) {
      throw isFileSystemError(error) ? writeError(error, target, 'could not be written') : error;
    } finally {
      await handle.close().catch(() => undefined);
    }
    await publish(temporary, target, options.force === true);
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw error;
  } finally {
    release();
  }
  await syncDirectory(directory);
  return { path: target, bytes, sha256: hash.digest('hex') };
}

/** `.<name>.<pid>.<12 hex>.tmp`: the temp files writeFileAtomic makes for `<name>`. */
function temporaryPattern(name: string): RegExp {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^\\.${escaped}\\.(\\d+)\\.[0-9a-f]{12}\\.tmp$`);
}

/** True while a process with this id exists (EPERM: it exists, owned by someone else). */
function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the temp files of `name` left in `directory` by runs whose process is gone (a run
 * killed with -9 cannot clean up after itself). A live process's temp file is never touched.
 * Returns the paths removed.
 */
export async function removeStaleTemporaries(directory: string, name: string): Promise<string[]> {
  let entries: string[];
  try {
    entries = await readdir(directory);
  } catch {
    return [];
  }
  const pattern = temporaryPattern(name);
  const removed: string[] = [];
  for (const entry of entries) {
    const pid = pattern.exec(entry)?.[1];
    if (pid === undefined || processAlive(Number(pid))) continue;
    const path = join(directory, entry);
    try {
      await unlink(path);
      removed.push(path);
    } catch {
      // Someone else removed it, or we may not: leave it.
    }
  }
  return removed;
}

async function* chunksOf(content: FileContent): AsyncIterable<string | Uint8Array> {
  if (typeof content === 'string' || content instanceof Uint8Array) {
    yield content;
    return;
  }
  yield* content;
}

async function writeAll(handle: FileHandle, buffer: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < buffer.byteLength) {
    const { bytesWritten } = await handle.write(buffer, offset, buffer.byteLength - offset);
    offset += bytesWritten;
  }
}

/** Refuses early (before any work) a directory target, or an existing file without force. */
async function checkTarget(target: string, force: boolean): Promise<void> {
  let stats;
  try {
    stats = await lstat(target);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw writeError(error, target, 'cannot be inspected');
  }
  if (stats.isDirectory()) {
    throw new UsageError(`${target} is a directory`, {
      hint: 'Give a file path, e.g. reports/carbon-{period}.csv.',
    });
  }
  if (!force) throw alreadyExists(target);
}

function alreadyExists(target: string): UsageError {
  return new UsageError(`${target} already exists`, {
    hint: 'Pass --force to replace it, or choose another path (placeholders: {period}, {year}, {month}, {date}).',
  });
}

/** Gives the finished temp file its final name. */
async function publish(temporary: string, target: string, force: boolean): Promise<void> {
  if (force) {
    try {
      await rename(temporary, target);
    } catch (error) {
      throw writeError(error, target, 'could not be replaced');
    }
    return;
  }
  try {
    // link() fails with EEXIST instead of replacing: no-clobber even against a racing writer.
    await link(temporary, target);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw alreadyExists(target);
    // File systems without hard links (some FUSE, SMB, FAT mounts): check again and rename.
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'ENOSYS') {
      await checkTarget(target, false);
      try {
        await rename(temporary, target);
      } catch (renameError) {
        throw writeError(renameError, target, 'could not be written');
      }
      return;
    }
    throw writeError(error, target, 'could not be written');
  }
  await unlink(temporary).catch(() => undefined);
}

/** Makes the rename itself durable; not every platform can fsync a directory, so best effort. */
async function syncDirectory(directory: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(directory, fsConstants.O_RDONLY);
    await handle.sync();
  } catch {
    // EISDIR/EINVAL/EPERM on some platforms: the file itself is already synced.
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

function isFileSystemError(error: unknown): error is NodeJS.ErrnoException {
  return (
    error instanceof Error &&
    typeof (error as NodeJS.ErrnoException).code === 'string' &&
    (error as NodeJS.ErrnoException).syscall !== undefined
  );
}

/**
 * A failed write is about the path the user chose (exit 2), with what to do about it. Errors
 * that are not file-system errors (a bug in the producer) pass through unchanged.
 */
function writeError(error: unknown, target: string, what: string): unknown {
  if (!isFileSystemError(error)) return error;
  const directory = dirname(target);
  switch (error.code) {
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return new UsageError(`${target} ${what}: ${directory} is not writable (${error.code})`, {
        hint: 'Choose a directory this user can write to, or fix its permissions.',
        cause: error,
      });
    case 'ENOENT':
    case 'ENOTDIR':
      return new UsageError(`${target} ${what}: the directory ${directory} does not exist`, {
        hint: 'Create the directory first, or choose another path.',
        cause: error,
      });
    case 'ENOSPC':
    case 'EDQUOT':
      return new UsageError(`${target} ${what}: no space left on the device holding ${directory}`, {
        hint: 'Free some space, or write the report elsewhere.',
        cause: error,
      });
    default:
      return new UsageError(`${target} ${what}: ${error.message}`, {
        hint: 'Check the path and the file system it is on.',
        cause: error,
      });
  }
}

/**
 * Writes chunks to a stream (stdout for `--out -`), waiting for it to drain so memory stays flat.
 * When the reader goes away (`| head -1`) it stops quietly, as every Unix filter does, and
 * resolves with the bytes handed over so far; any other stream error rejects.
 */
export async function writeToStream(
  stream: NodeJS.WritableStream,
  content: FileContent,
): Promise<number> {
  let bytes = 0;
  let gone = false;
  let failure: Error | undefined;
  const onStreamError = (error: Error): void => {
    if (isReaderGone(error)) gone = true;
    else failure ??= error;
  };
  stream.on('error', onStreamError);
  const destroyed = (): boolean => (stream as { destroyed?: boolean }).destroyed === true;
  try {
    for await (const chunk of chunksOf(content)) {
      if (gone || destroyed()) break;
      if (failure !== undefined) throw failure;
      bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk, 'utf8') : chunk.byteLength;
      if (!stream.write(chunk)) {
        await new Promise<void>((resolveDrain) => {
          const settle = (): void => {
            stream.off('drain', settle);
            stream.off('error', settle);
            stream.off('close', settle);
            resolveDrain();
          };
          stream.once('drain', settle);
          stream.once('error', settle);
          stream.once('close', settle);
        });
      }
    }
    if (failure !== undefined && !gone) throw failure;
  } finally {
    stream.off('error', onStreamError);
  }
  return bytes;
}
