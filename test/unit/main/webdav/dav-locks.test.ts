// WebDAV locks alone (src/main/webdav/dav-locks.ts): the If header's grammar, which locks conflict,
// which cover a path, timeouts. litmus's locks group (webdav-litmus.test.ts) runs them over HTTP.
import { describe, expect, it } from 'vitest';
import { IfHeaderError, lockTimeout, LockTable, MAX_LOCK_SECONDS, parseIfHeader } from '../../../../src/main/webdav/dav-locks.ts';

const pathOf = (uri: string): string | null => uri.replace(/^http:\/\/[^/]+/, '');

describe('the If header', () => {
  it('reads untagged and tagged lists, Not, tokens and entity tags', () => {
    expect(parseIfHeader('(<opaquelocktoken:a> ["e1"]) (Not <DAV:no-lock> ["e1"])', pathOf)).toEqual([
      { resource: null, conditions: [{ not: false, token: 'opaquelocktoken:a' }, { not: false, etag: '"e1"' }] },
      { resource: null, conditions: [{ not: true, token: 'DAV:no-lock' }, { not: false, etag: '"e1"' }] },
    ]);
    expect(parseIfHeader('<http://h/x/y> (<t1>) <http://h/z> (Not<t2>)', pathOf)).toEqual([
      { resource: '/x/y', conditions: [{ not: false, token: 't1' }] },
      { resource: '/z', conditions: [{ not: true, token: 't2' }] },
    ]);
  });

  it('refuses what is not one, naming why', () => {
    expect(() => parseIfHeader('', pathOf)).toThrow(IfHeaderError);
    expect(() => parseIfHeader('(<a>', pathOf)).toThrow(/unterminated list/);
    expect(() => parseIfHeader('()', pathOf)).toThrow(/empty list/);
    expect(() => parseIfHeader('(<a', pathOf)).toThrow(/unterminated </);
    expect(() => parseIfHeader('<http://h/x>', pathOf)).toThrow(/resource tag without a list/);
    expect(() => parseIfHeader('x', pathOf)).toThrow(/unexpected "x"/);
  });
});

describe('the lock table', () => {
  it('lets shared locks share and refuses any other conflict, depth infinity included', () => {
    const t = new LockTable();
    const a = t.take('/d', 'infinity', 'shared', 'me', 60)!;
    expect(t.take('/d', 0, 'shared', 'you', 60)).not.toBeNull();
    expect(t.take('/d', 0, 'exclusive', 'you', 60)).toBeNull();
    expect(t.take('/d/f', 0, 'exclusive', 'you', 60)).toBeNull();
    expect(t.take('/', 'infinity', 'exclusive', 'you', 60)).toBeNull();
    expect(t.take('/', 0, 'exclusive', 'you', 60)).not.toBeNull();
    expect(t.covering('/d/f').map((l) => l.token)).toContain(a.token);
    expect(t.affected('/', true).length).toBe(3);
    t.forget('/d');
    expect(t.covering('/d/f')).toEqual([]);
  });

  it('lets locks expire, and reads the Timeout header within the maximum', () => {
    let now = 0;
    const t = new LockTable(() => now);
    const l = t.take('/f', 0, 'exclusive', '', lockTimeout('Second-10'))!;
    expect(t.get(l.token)).toBe(l);
    now = 10_001;
    expect(t.get(l.token)).toBeUndefined();
    expect(t.take('/f', 0, 'exclusive', '', 10)).not.toBeNull();
    expect(lockTimeout('Infinite, Second-4100000000')).toBe(MAX_LOCK_SECONDS);
    expect(lockTimeout(undefined)).toBe(MAX_LOCK_SECONDS);
    expect(lockTimeout('Second-0')).toBe(1);
  });
});
