// Where a WebDAV request path leads inside the shared folder, or why it may not. Nothing outside
// the folder is reachable: the path is percent-decoded once (a malformed or NUL escape is refused),
// then every segment is checked: no "." or "..", no backslash or colon (Windows separators, drive
// letters, alternate data streams), no Windows device name (CON, NUL, COM1, ... with or without an
// extension), no control characters. Symbolic links are followed only where they stay inside: the
// real path of the target (or of its parent, for a name that does not exist yet) must lie in the
// real path of the folder.
import { lstat, realpath } from 'node:fs/promises';
import { join, sep } from 'node:path';

export class PathRefused extends Error {
  override name = 'PathRefused';
  constructor(
    message: string,
    /** 403 for a path that tries to leave the folder, 400 for one that is malformed. */
    readonly status: 400 | 403,
  ) {
    super(message);
  }
}

const DEVICE_NAME = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$|clock\$)(\..*)?$/i;

/** The longest request path taken (Linux's PATH_MAX). */
export const MAX_SHARED_PATH = 4096;

/** The decoded segments of a request path ("/a%20b/c/" → ["a b", "c"]). Throws PathRefused. */
export function pathSegments(urlPath: string): string[] {
  if (urlPath.length > MAX_SHARED_PATH) throw new PathRefused(`a path of ${urlPath.length} characters`, 400);
  if (!urlPath.startsWith('/')) throw new PathRefused('a path that does not start with /', 400);
  const segments: string[] = [];
  for (const raw of urlPath.split('/')) {
    if (raw === '') continue;
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      throw new PathRefused(`a malformed percent escape in "${raw}"`, 400);
    }
    checkSegment(segment);
    segments.push(segment);
  }
  return segments;
}

function checkSegment(segment: string): void {
  if (segment === '.' || segment === '..') throw new PathRefused(`a "${segment}" segment`, 403);
  if (/[\u0000-\u001f\u007f]/.test(segment)) throw new PathRefused('a control character in a name', 400);
  if (segment.includes('/') || segment.includes('\\')) throw new PathRefused('an encoded path separator in a name', 403);
  if (segment.includes(':')) throw new PathRefused(`a colon in "${segment}" (a drive letter or a stream name)`, 403);
  if (DEVICE_NAME.test(segment.trim()) || DEVICE_NAME.test(segment.replace(/[. ]+$/, ''))) throw new PathRefused(`the Windows device name "${segment}"`, 403);
}

/** A resolved path inside the shared folder. */
export interface SharedPath {
  /** The absolute file system path (not yet resolved through links). */
  file: string;
  /** The request path in canonical form ("/a b/c"; "/" for the root). */
  segments: readonly string[];
}

/**
 * The real path of `dir`, looked up now and kept once found, so that a folder later swapped for a
 * link leading elsewhere does not move what counts as inside it. A failed lookup (the folder
 * removed for a while) is handled here, since unawaited its rejection would end the process: the
 * caller that awaits it gets the error, and the next call looks again.
 */
export function realPathOnceFound(dir: string): () => Promise<string> {
  let kept: Promise<string> | null = null;
  const lookUp = (): Promise<string> => {
    const lookup = realpath(dir);
    kept = lookup;
    lookup.catch(() => {
      if (kept === lookup) kept = null;
    });
    return lookup;
  };
  lookUp();
  return () => kept ?? lookUp();
}

export class SharedFolder {
  private readonly realRoot: () => Promise<string>;

  constructor(readonly root: string) {
    this.realRoot = realPathOnceFound(root);
  }

  /** Resolves a request path; throws PathRefused when it is malformed or leads outside. */
  async resolve(urlPath: string): Promise<SharedPath> {
    const segments = pathSegments(urlPath);
    const file = segments.length ? join(this.root, ...segments) : this.root;
    await this.checkInside(file, segments.length);
    return { file, segments };
  }

  /**
   * The real path of `file` (or of its nearest existing ancestor) must lie inside the folder's real
   * path: a symbolic link anywhere on the way that leads out is refused.
   */
  private async checkInside(file: string, depth: number): Promise<void> {
    const root = await this.realRoot();
    let probe = file;
    for (let up = 0; up <= depth; up++) {
      let real: string;
      try {
        real = await realpath(probe);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'ENOTDIR') {
          // A link whose target does not exist would be written through: refused, wherever it points.
          if (await lstat(probe).then((st) => st.isSymbolicLink(), () => false)) throw new PathRefused('a symbolic link whose target does not exist', 403);
          probe = join(probe, '..');
          continue;
        }
        throw e;
      }
      if (real !== root && !real.startsWith(root + sep)) throw new PathRefused('a symbolic link that leads out of the shared folder', 403);
      return;
    }
  }
}
