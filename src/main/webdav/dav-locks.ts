// WebDAV locks (RFC 4918 sections 6, 7 and 10.4) for the shared folder's server: write locks,
// exclusive or shared, depth 0 or infinity, with a timeout, on a path of the folder. A lock covers
// its root and, at depth infinity, everything under it. A request that changes a covered resource
// must submit the lock's token in its If header (423 Locked otherwise), and an If header that
// evaluates false fails the request (412). Locks live as long as the server (the session): a guest
// that loses its connection loses nothing but its locks' use, and they time out.
import { randomUUID } from 'node:crypto';

export type LockScope = 'exclusive' | 'shared';

export interface DavLock {
  token: string;
  /** The locked path ("/a/b"; "/" the folder itself). */
  root: string;
  depth: 0 | 'infinity';
  scope: LockScope;
  /** The owner element's text, as the client gave it. */
  owner: string;
  timeoutS: number;
  expiresAt: number;
}

/** The longest lock handed out; a client asking for more (or Infinite) gets this, and refreshes. */
export const MAX_LOCK_SECONDS = 3600;

/** One condition of an If header list: a state token or an entity tag, maybe negated. */
interface IfCondition {
  not: boolean;
  token?: string;
  etag?: string;
}

interface IfList {
  /** The tagged resource's path, or null for the request's own. */
  resource: string | null;
  conditions: IfCondition[];
}

export class IfHeaderError extends Error {
  override name = 'IfHeaderError';
}

/**
 * Parses an If header (RFC 4918 10.4): lists in parentheses, each optionally after a
 * `<resource>` tag, of `[Not] <state-token>` and `[Not] [etag]` conditions. `pathOf` turns a tagged
 * resource (an absolute URL or a path) into the server's path form, or null when it is not ours.
 */
export function parseIfHeader(header: string, pathOf: (uri: string) => string | null): IfList[] {
  const lists: IfList[] = [];
  let i = 0;
  let resource: string | null = null;
  const skipSpace = (): void => {
    while (i < header.length && /\s/.test(header[i])) i++;
  };
  const until = (close: string): string => {
    const end = header.indexOf(close, i + 1);
    if (end < 0) throw new IfHeaderError(`an unterminated ${header[i]} in the If header`);
    const inner = header.slice(i + 1, end);
    i = end + 1;
    return inner;
  };
  for (skipSpace(); i < header.length; skipSpace()) {
    if (header[i] === '<') {
      resource = pathOf(until('>'));
      skipSpace();
      if (header[i] !== '(') throw new IfHeaderError('a resource tag without a list in the If header');
      continue;
    }
    if (header[i] !== '(') throw new IfHeaderError(`an unexpected "${header[i]}" in the If header`);
    i++;
    const conditions: IfCondition[] = [];
    for (skipSpace(); header[i] !== ')'; skipSpace()) {
      if (i >= header.length) throw new IfHeaderError('an unterminated list in the If header');
      let not = false;
      if (/^not\b/i.test(header.slice(i, i + 4)) && /\s|<|\[/.test(header[i + 3] ?? '')) {
        not = true;
        i += 3;
        skipSpace();
      }
      if (header[i] === '<') conditions.push({ not, token: until('>') });
      else if (header[i] === '[') conditions.push({ not, etag: until(']') });
      else throw new IfHeaderError(`an unexpected "${header[i]}" in an If header list`);
    }
    i++;
    if (!conditions.length) throw new IfHeaderError('an empty list in the If header');
    lists.push({ resource, conditions });
  }
  if (!lists.length) throw new IfHeaderError('an If header without a list');
  return lists;
}

/** Whether `path` is `root` or under it. */
function within(path: string, root: string): boolean {
  return path === root || root === '/' || path.startsWith(root + '/');
}

export class LockTable {
  private readonly locks = new Map<string, DavLock>();

  constructor(private readonly now: () => number = Date.now) {}

  private live(): DavLock[] {
    const t = this.now();
    for (const [token, lock] of this.locks) if (lock.expiresAt <= t) this.locks.delete(token);
    return [...this.locks.values()];
  }

  /** The locks that cover `path`: on it, or at depth infinity on a folder above it. */
  covering(path: string): DavLock[] {
    return this.live().filter((l) => l.root === path || (l.depth === 'infinity' && within(path, l.root)));
  }

  /** The locks a change of `path` touches: those covering it and, with `deep`, those under it. */
  affected(path: string, deep: boolean): DavLock[] {
    return this.live().filter((l) => l.root === path || (l.depth === 'infinity' && within(path, l.root)) || (deep && within(l.root, path)));
  }

  get(token: string): DavLock | undefined {
    return this.live().find((l) => l.token === token);
  }

  /** The locks on exactly `path` (for lockdiscovery). */
  on(path: string): DavLock[] {
    return this.live().filter((l) => l.root === path);
  }

  /**
   * A new lock, or null when one that is there conflicts: an exclusive lock conflicts with any
   * other, a shared one with exclusive ones; a lock at depth infinity also meets locks under it.
   */
  take(root: string, depth: 0 | 'infinity', scope: LockScope, owner: string, timeoutS: number): DavLock | null {
    const others = this.live().filter((l) => within(root, l.root) ? l.root === root || l.depth === 'infinity' : depth === 'infinity' && within(l.root, root));
    if (others.some((l) => l.scope === 'exclusive' || scope === 'exclusive')) return null;
    const lock: DavLock = { token: `opaquelocktoken:${randomUUID()}`, root, depth, scope, owner, timeoutS, expiresAt: this.now() + timeoutS * 1000 };
    this.locks.set(lock.token, lock);
    return lock;
  }

  refresh(lock: DavLock, timeoutS: number): void {
    lock.timeoutS = timeoutS;
    lock.expiresAt = this.now() + timeoutS * 1000;
  }

  release(token: string): boolean {
    return this.locks.delete(token);
  }

  /** Forgets the locks on `path` and under it (the resource was deleted or moved away). */
  forget(path: string): void {
    for (const [token, lock] of this.locks) if (within(lock.root, path)) this.locks.delete(token);
  }
}

/** The Timeout header's wish ("Second-600", "Infinite, Second-4100000000"), within MAX_LOCK_SECONDS. */
export function lockTimeout(header: string | undefined): number {
  for (const part of (header ?? '').split(',')) {
    const m = /^\s*second-(\d+)\s*$/i.exec(part);
    if (m) return Math.max(1, Math.min(MAX_LOCK_SECONDS, Number(m[1])));
  }
  return MAX_LOCK_SECONDS;
}
