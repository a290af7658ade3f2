// Reading a file the user named (a .vv TARGET, --spice-ca-file, an `expect` PNG): only a regular
// file, and never more than a cap. Opening is non-blocking, so a FIFO cannot hang the command
// before its --timeout starts, and /dev/zero cannot grow without end: both are refused with a
// sentence that says what the path is.
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';

/** Why a named file cannot be used, as a phrase after its name ("… is a FIFO, not a file"). */
export class UserFileProblem extends Error {
  constructor(
    readonly reason: string,
    /** The errno code when opening failed (ENOENT, EACCES, ...), or EISDIR for a directory. */
    readonly code?: string,
    /** The file's size when it is larger than the cap. */
    readonly size?: number,
  ) {
    super(reason);
  }
}

/** What the path is instead of a regular file, as a phrase after its name. */
function notAFile(stat: Stats): string {
  if (stat.isDirectory()) return 'is a directory, not a file';
  if (stat.isFIFO()) return 'is a FIFO (named pipe), not a file';
  if (stat.isCharacterDevice()) return 'is a character device, not a file';
  if (stat.isBlockDevice()) return 'is a block device, not a file';
  if (stat.isSocket()) return 'is a socket, not a file';
  return 'is not a regular file';
}

/**
 * The whole file, at most `maxBytes` (larger is refused with its size). Throws UserFileProblem
 * for what is not a regular file, is too large or cannot be opened (with the errno code).
 */
export function readUserFile(path: string, maxBytes: number): Uint8Array {
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer.
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserFileProblem(openProblem(code, e as Error), code);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new UserFileProblem(notAFile(stat), stat.isDirectory() ? 'EISDIR' : undefined);
    if (stat.size > maxBytes) throw new UserFileProblem(`is ${stat.size} bytes; at most ${maxBytes} bytes are read`, undefined, stat.size);
    // One byte past the cap, in case the file grew since fstat.
    const buffer = new Uint8Array(Math.min(stat.size, maxBytes) + 1);
    let filled = 0;
    while (filled < buffer.length) {
      const n = readSync(fd, buffer, filled, buffer.length - filled, null);
      if (n === 0) break;
      filled += n;
    }
    if (filled > maxBytes) throw new UserFileProblem(`grew past ${maxBytes} bytes while it was read`);
    return buffer.subarray(0, filled);
  } finally {
    closeSync(fd);
  }
}

function openProblem(code: string | undefined, e: Error): string {
  if (code === 'ENOENT') return 'does not exist';
  if (code === 'EACCES' || code === 'EPERM') return 'cannot be read: permission denied';
  if (code === 'ENOTDIR') return 'cannot be read: a part of the path is not a directory';
  if (code === 'ELOOP') return 'cannot be read: too many symbolic links';
  return `cannot be read: ${e.message}`;
}
