// The folder chooser's pure helpers (folder-chooser.ts): paths relative to the root as the page
// builds them for FOLDER_BROWSE, and the line that says what is shared.
import { describe, expect, it } from 'vitest';
import { childPath, parentPath, sharingLine } from '../../../src/renderer/folder-chooser.ts';
import { relativePathProblem } from '../../../src/protocol/bridge/folder-messages.ts';

describe('the folder chooser helpers', () => {
  it('walks down and up by plain names, never above the root', () => {
    expect(childPath('', 'Projects')).toBe('Projects');
    expect(childPath('Projects', 'a b')).toBe('Projects/a b');
    expect(parentPath('Projects/a b')).toBe('Projects');
    expect(parentPath('Projects')).toBe('');
    expect(parentPath('')).toBe('');
    // What it builds is what the codec takes.
    for (const p of ['', 'Projects', 'Projects/a b']) expect(relativePathProblem(p)).toBe('');
  });

  it('says what is shared', () => {
    const base = { kind: 'folder-state' as const, offered: true, root: '/home/me', note: '' };
    expect(sharingLine({ ...base, shared: '', readOnly: false })).toBe('Not shared');
    expect(sharingLine({ ...base, shared: '/home/me/Public', readOnly: false })).toBe('Sharing /home/me/Public');
    expect(sharingLine({ ...base, shared: '/home/me/Public', readOnly: true })).toBe('Sharing /home/me/Public (read-only)');
  });
});
