// The session page's part table (src/renderer/page-part-table.ts): which parts a window mounts,
// from what it knows when it loads, and how the mounted parts share the host's messages.
import { describe, expect, it } from 'vitest';
import type { HostMessage } from '../../../src/protocol/bridge/bridge-messages.ts';
import { PAGE_PARTS } from '../../../src/renderer/page-part-table.ts';
import { MountedParts, pageContext, partsFor, type MountedPart, type PagePart } from '../../../src/renderer/page-parts.ts';

const namesFor = (hash: string, electron = false): string[] => partsFor(PAGE_PARTS, pageContext(new URLSearchParams(hash), electron)).map((p) => p.name);

const EXTRAS = ['password', 'resize-to-fit', 'clipboard', 'files'];

describe('the page part table', () => {
  it('names every part once', () => {
    const names = PAGE_PARTS.map((p) => p.name);
    expect(new Set(names).size).toBe(names.length);
  });

  it('mounts the extras and the kiosk part in a normal browser window', () => {
    expect(namesFor('target=0')).toEqual([...EXTRAS, 'audio', 'vm-menu', 'serial-console', 'printer-chooser', 'folder-chooser', 'usb-panel', 'kiosk']);
    expect(namesFor('')).toEqual([...EXTRAS, 'audio', 'vm-menu', 'serial-console', 'printer-chooser', 'folder-chooser', 'usb-panel', 'kiosk']);
  });

  it('asks for the server mouse in head 1 with #mouse=server, not in a head window, which follows head 1', () => {
    expect(namesFor('target=0&mouse=server')).toEqual([...EXTRAS, 'mouse-mode-request', 'audio', 'vm-menu', 'serial-console', 'printer-chooser', 'folder-chooser', 'usb-panel', 'kiosk']);
    expect(namesFor('target=0&head=1&join=00ff&mouse=server')).toEqual([...EXTRAS, 'kiosk']);
    expect(namesFor('target=0&mouse=client')).not.toContain('mouse-mode-request');
  });

  it('answers screenshot requests only in the Electron window, head windows included', () => {
    expect(namesFor('target=0', true)).toEqual([...EXTRAS, 'screenshot-reply', 'audio', 'vm-menu', 'serial-console', 'printer-chooser', 'folder-chooser', 'usb-panel', 'kiosk']);
    expect(namesFor('target=0&head=2&join=00ff', true)).toEqual([...EXTRAS, 'screenshot-reply', 'kiosk']);
    expect(namesFor('target=0&head=2&join=00ff', false)).not.toContain('screenshot-reply');
  });

  it('plays and records sound in head 1\'s window only', () => {
    expect(namesFor('target=0')).toContain('audio');
    expect(namesFor('target=0&head=2&join=00ff', true)).not.toContain('audio');
  });

  it('mounts the kiosk part in every window, last: kiosk mode is the host policy, which arrives after mounting', () => {
    for (const [hash, electron] of [['target=0', false], ['head=1&join=00ff', false], ['target=3&mouse=server', true]] as const) {
      expect(namesFor(hash, electron).at(-1)).toBe('kiosk');
    }
  });

  it('takes a head window from #join, whatever #head says', () => {
    expect(pageContext(new URLSearchParams('head=1&join=00'), false).headWindow).toBe(true);
    expect(pageContext(new URLSearchParams('head=1'), false).headWindow).toBe(false);
  });
});

/** A part that records what it is asked, taking the message kinds it is given. */
function recordingPart(name: string, takes: HostMessage['kind'][], log: string[], applies = true): PagePart<{ id: string }> {
  return {
    name,
    applies: () => applies,
    mount(page): MountedPart {
      log.push(`${name} mounted on ${page.id}`);
      return {
        onHostMessage(m) {
          log.push(`${name} saw ${m.kind}`);
          return takes.includes(m.kind);
        },
        onBridgeClosed: (text) => void log.push(`${name} closed: ${text}`),
        hotkey: (e) => name === 'keys' && e.key === 'F11',
        state: () => ({ [name]: true }),
      };
    },
  };
}

describe('the mounted parts', () => {
  const status: HostMessage = { kind: 'status', status: { state: 'connected' } } as HostMessage;
  const policy = { kind: 'page-policy' } as HostMessage;

  it('mount in table order, only those that apply', () => {
    const log: string[] = [];
    const parts = MountedParts.mount([recordingPart('a', [], log), recordingPart('skipped', [], log, false), recordingPart('b', [], log)], pageContext(new URLSearchParams(), false), { id: 'page' });
    expect(parts.names).toEqual(['a', 'b']);
    expect(log).toEqual(['a mounted on page', 'b mounted on page']);
  });

  it('let every part watch a message none takes, and stop at the part that takes one', () => {
    const log: string[] = [];
    const parts = MountedParts.mount([recordingPart('watcher', [], log), recordingPart('policy', ['page-policy'], log), recordingPart('after', [], log)], pageContext(new URLSearchParams(), false), { id: 'p' });
    log.length = 0;
    expect(parts.onHostMessage(status)).toBe(false);
    expect(log).toEqual(['watcher saw status', 'policy saw status', 'after saw status']);
    log.length = 0;
    expect(parts.onHostMessage(policy)).toBe(true);
    expect(log).toEqual(['watcher saw page-policy', 'policy saw page-policy']);
  });

  it('tell every part of the bridge closing in order, merge their state, and ask them for hotkeys', () => {
    const log: string[] = [];
    const parts = MountedParts.mount([recordingPart('a', [], log), recordingPart('keys', [], log)], pageContext(new URLSearchParams(), false), { id: 'p' });
    log.length = 0;
    parts.onBridgeClosed('disconnected from the gateway');
    expect(log).toEqual(['a closed: disconnected from the gateway', 'keys closed: disconnected from the gateway']);
    expect(parts.state()).toEqual({ a: true, keys: true });
    expect(parts.hotkey({ key: 'F11' } as KeyboardEvent)).toBe(true);
    expect(parts.hotkey({ key: 'F12' } as KeyboardEvent)).toBe(false);
  });
});
