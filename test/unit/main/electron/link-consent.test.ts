// When a TARGET asks the user first (link-consent.ts): spice URIs from links to hosts not allowed
// before; never files, command lines or URIs that do not parse.
import { describe, expect, it } from 'vitest';
import {
  consentAnswer,
  consentFor,
  consentPrompt,
  ConsentQueue,
  FROM_LINK_SWITCH,
  launchedFromLink,
  linkDestination,
} from '../../../../src/main/electron/link-consent.ts';
import { prepareWindowTarget } from '../../../../src/main/electron/window-target.ts';
import { waitUntil } from '../../../helpers/wait.ts';
import { isLinkHostKey } from '../../../../src/main/monitors/settings-store.ts';

const none = (): boolean => false;

describe('launchedFromLink', () => {
  it('is the switch the desktop entry and the Windows registration put before the URI', () => {
    expect(launchedFromLink(['/opt/spicedesk/spicedesk', FROM_LINK_SWITCH, '--', 'spice://vm.example:5900'])).toBe(true);
    expect(launchedFromLink(['/opt/spicedesk/spicedesk', 'spice://vm.example:5900'])).toBe(false);
    // Chromium may move a second instance's switches after its arguments.
    expect(launchedFromLink(['C:\\spicedesk.exe', '--', 'spice://vm.example:5900', FROM_LINK_SWITCH])).toBe(true);
  });
});

describe('consentFor', () => {
  it('asks for a spice URI from a link, showing host, port and that it is not encrypted', () => {
    const d = consentFor('spice://VM.Example.:5900', 'link', none);
    expect(d).toEqual({ ask: true, destination: { hostKey: 'vm.example', shownHost: 'vm.example', transport: 'on port 5900, NOT encrypted' } });
  });

  it('says TLS for spice+tls and for a tls-port, and both ports when there are two', () => {
    expect(linkDestination('spice+tls://vm.example:5901')?.transport).toBe('on TLS port 5901, encrypted');
    expect(linkDestination('spice://vm.example?tls-port=5901')?.transport).toBe('on TLS port 5901, encrypted');
    expect(linkDestination('spice://vm.example:5900?tls-port=5901')?.transport).toMatch(/^on port 5900, NOT encrypted \(TLS port 5901/);
  });

  it('names IPv6 hosts in brackets and unix sockets by their path (kept as written)', () => {
    expect(linkDestination('spice://[FE80::1]:5900')).toMatchObject({ hostKey: 'fe80::1', shownHost: '[fe80::1]' });
    expect(linkDestination('spice+unix:///run/VM.sock')).toEqual({ hostKey: 'unix:/run/VM.sock', shownHost: '/run/VM.sock', transport: 'through a socket on this computer' });
  });

  it('does not ask again for a host the user always allows (any port)', () => {
    const allowed = (key: string): boolean => key === 'vm.example';
    expect(consentFor('spice://vm.example:5999', 'link', allowed)).toEqual({ ask: false });
    expect(consentFor('spice://other.example:5900', 'link', allowed).ask).toBe(true);
  });

  it('never asks for the command line or a file, whatever the target', () => {
    expect(consentFor('spice://vm.example:5900', 'command-line', none)).toEqual({ ask: false });
    expect(consentFor('/home/ann/Downloads/console.vv', 'file', none)).toEqual({ ask: false });
  });

  it('does not ask for a URI that does not parse, as its window connects nowhere', async () => {
    for (const uri of ['spice://vm.example', 'spice://bad host:5900', 'spice+tls://vm.example:1?port=2', 'spice+unix://relative']) {
      expect(consentFor(uri, 'link', none), uri).toEqual({ ask: false });
      // The window's own reading of the TARGET refuses it too: nothing connects without asking.
      expect((await prepareWindowTarget(uri, { timeoutMs: 1000, env: {} })).ok, uri).toBe(false);
    }
  });

  it('does not ask for a file from a link origin (a .vv the system handed over with the switch)', () => {
    expect(consentFor('/home/ann/console.vv', 'link', none)).toEqual({ ask: false });
    expect(consentFor('file:///home/ann/console.vv', 'link', none)).toEqual({ ask: false });
  });

  it('makes only keys settings.json takes back', () => {
    for (const uri of ['spice://vm.example:1', 'spice://[::1]:2', 'spice+unix:///run/a b.sock', 'spice://10.0.0.1:3']) {
      const d = linkDestination(uri);
      expect(d, uri).not.toBeNull();
      expect(isLinkHostKey(d!.hostKey), uri).toBe(true);
    }
  });
});

describe('consentPrompt and consentAnswer', () => {
  it('shows host and transport, with Cancel as the default and the "always" box off', () => {
    const p = consentPrompt(linkDestination('spice+tls://vm.example:5901?password=secret')!);
    expect(p.message).toContain('vm.example');
    expect(p.detail).toContain('on TLS port 5901, encrypted');
    expect(`${p.message} ${p.detail} ${p.checkboxLabel}`).not.toContain('secret');
    expect(p.buttons).toEqual(['Connect', 'Cancel']);
    expect(p.defaultId).toBe(1);
    expect(p.cancelId).toBe(1);
    expect(p.checkboxChecked).toBe(false);
    expect(p.checkboxLabel).toBe('Always allow links to vm.example');
  });

  it('asks for a socket path too long to remember, shown without the characters that reorder text, bounded, with no "always"', () => {
    const uri = `spice+unix:///run/\u202eevil/${'x'.repeat(300)}`;
    const d = consentFor(uri, 'link', () => true);
    expect(d.ask).toBe(true);
    const destination = linkDestination(uri)!;
    expect(destination.hostKey).toBeNull();
    const p = consentPrompt(destination);
    expect(p.message).not.toMatch(/\u202e/);
    expect(p.message.length).toBeLessThan(300);
    expect(p.checkboxLabel).toBeUndefined();
    expect(consentAnswer(destination, 0, true)).toEqual({ connect: true, remember: null });
  });

  it('remembers only with Connect', () => {
    const d = linkDestination('spice://vm.example:5900')!;
    expect(consentAnswer(d, 0, true)).toEqual({ connect: true, remember: 'vm.example' });
    expect(consentAnswer(d, 0, false)).toEqual({ connect: true, remember: null });
    expect(consentAnswer(d, 1, true)).toEqual({ connect: false, remember: null });
    // The dialog closed another way (Escape gives cancelId; anything unknown is no).
    expect(consentAnswer(d, 7, true)).toEqual({ connect: false, remember: null });
  });
});

describe('ConsentQueue', () => {
  it('asks one at a time, in order, and drops links beyond the few waiting', async () => {
    const q = new ConsentQueue();
    const log: string[] = [];
    const answers: (() => void)[] = [];
    const ask = (name: string) => () =>
      new Promise<void>((resolve) => {
        log.push(`ask ${name}`);
        answers.push(() => {
          log.push(`done ${name}`);
          resolve();
        });
      });
    const taken = ['a', 'b', 'c', 'd', 'e'].map((n) => q.enqueue(ask(n)));
    expect(taken).toEqual([true, true, true, false, false]);
    expect(q.waiting).toBe(3);
    await waitUntil('the first dialog', () => answers.length === 1);
    expect(log).toEqual(['ask a']);
    answers[0]();
    await waitUntil('the second dialog', () => answers.length === 2);
    expect(log).toEqual(['ask a', 'done a', 'ask b']);
    // A place came free while b is shown.
    expect(q.enqueue(ask('f'))).toBe(true);
    answers[1]();
    await waitUntil('the third dialog', () => answers.length === 3);
    answers[2]();
    await waitUntil('the fourth dialog', () => answers.length === 4);
    answers[3]();
    await waitUntil('all done', () => log.length === 8);
    await waitUntil('the queue empty', () => q.waiting === 0);
    expect(log).toEqual(['ask a', 'done a', 'ask b', 'done b', 'ask c', 'done c', 'ask f', 'done f']);
  });

  it('goes on after a dialog that failed', async () => {
    const q = new ConsentQueue();
    let ran = false;
    q.enqueue(() => Promise.reject(new Error('no display')));
    q.enqueue(async () => {
      ran = true;
    });
    await waitUntil('the next dialog', () => ran);
  });
});
