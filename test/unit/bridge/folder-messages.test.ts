// The folder chooser's bridge messages (folder-messages.ts): round trips, the bytes, and hostile
// paths from the page refused with a reason before the host sees them.
import { describe, expect, it } from 'vitest';
import type { HostMessage, UiMessage } from '../../../src/protocol/bridge/bridge-messages.ts';
import { relativePathProblem } from '../../../src/protocol/bridge/folder-messages.ts';
import { decodeHostMessage, encodeHostMessage } from '../../../src/protocol/bridge/host-codec.ts';
import { BRIDGE_VERSION, HostKind, UiKind } from '../../../src/protocol/bridge/kinds.ts';
import { decodeUiMessage, encodeUiMessage } from '../../../src/protocol/bridge/ui-codec.ts';

const uiBytes = (kind: number, ...rest: number[]): Uint8Array => Uint8Array.from([kind, ...rest]);
const withString = (kind: number, prefix: number[], text: string): Uint8Array => {
  const t = Buffer.from(text);
  return Uint8Array.from([kind, ...prefix, t.length & 0xff, t.length >> 8, ...t]);
};

describe('the folder chooser messages', () => {
  it('survive encode and decode', () => {
    const host: HostMessage[] = [
      { kind: 'folder-state', offered: true, root: '/home/me', shared: '/home/me/Public', readOnly: true, note: '' },
      { kind: 'folder-state', offered: false, root: '/home/me', shared: '', readOnly: false, note: 'this page may not choose' },
      { kind: 'folder-list', path: 'a/b é', folders: ['c', 'd d', 'ü'], note: '' },
      { kind: 'folder-list', path: 'gone', folders: [], note: 'no folder "gone"' },
    ];
    for (const m of host) expect(decodeHostMessage(encodeHostMessage(m))).toEqual(m);
    const ui: UiMessage[] = [
      { kind: 'folder-browse', path: '' },
      { kind: 'folder-browse', path: 'Documents/x' },
      { kind: 'folder-share', path: 'Public', readOnly: true },
      { kind: 'folder-share', path: '', readOnly: false },
      { kind: 'folder-stop' },
    ];
    for (const m of ui) expect(decodeUiMessage(encodeUiMessage(m), BRIDGE_VERSION)).toEqual(m);
    expect(encodeHostMessage(host[0])[0]).toBe(HostKind.FOLDER_STATE);
    expect([...encodeUiMessage({ kind: 'folder-stop' })]).toEqual([UiKind.FOLDER_STOP]);
  });

  it('the codec itself encodes what the string reader expects (length-prefixed UTF-8)', () => {
    expect(decodeUiMessage(withString(UiKind.FOLDER_BROWSE, [], 'Music'), BRIDGE_VERSION)).toEqual({ kind: 'folder-browse', path: 'Music' });
    expect(decodeUiMessage(withString(UiKind.FOLDER_SHARE, [1], 'Music'), BRIDGE_VERSION)).toEqual({ kind: 'folder-share', path: 'Music', readOnly: true });
  });

  it('refuses paths that are not plain names under the root', () => {
    for (const [path, why] of [
      ['/etc', /absolute path/],
      ['..', /"\.\." in the path/],
      ['a/../../etc', /"\.\." in the path/],
      ['./a', /"\." in the path/],
      ['a//b', /empty name/],
      ['a/', /empty name/],
      ['..\\etc', /backslash/],
      ['a\0b', /NUL/],
    ] as const) {
      expect(relativePathProblem(path)).not.toBe('');
      expect(() => decodeUiMessage(withString(UiKind.FOLDER_BROWSE, [], path), BRIDGE_VERSION)).toThrow(why);
      expect(() => decodeUiMessage(withString(UiKind.FOLDER_SHARE, [0], path), BRIDGE_VERSION)).toThrow(why);
    }
    expect(relativePathProblem('a b/c..d/.e')).toBe('');
  });

  it('refuses malformed messages with what was wrong', () => {
    expect(() => decodeUiMessage(uiBytes(UiKind.FOLDER_SHARE, 2, 0, 0), BRIDGE_VERSION)).toThrow(/FOLDER_SHARE: readOnly/);
    expect(() => decodeUiMessage(uiBytes(UiKind.FOLDER_STOP, 0), BRIDGE_VERSION)).toThrow(/FOLDER_STOP/);
    expect(() => decodeUiMessage(uiBytes(UiKind.FOLDER_BROWSE, 9, 0, 1), BRIDGE_VERSION)).toThrow(/FOLDER_BROWSE/);
    expect(() => decodeHostMessage(Uint8Array.of(HostKind.FOLDER_STATE, 4, 0, 0, 0, 0, 0, 0))).toThrow(/unknown flags 4/);
    expect(() => decodeHostMessage(Uint8Array.of(HostKind.FOLDER_LIST, 0, 0, 0xff, 0xff))).toThrow(/FOLDER_LIST: folders/);
  });
});
