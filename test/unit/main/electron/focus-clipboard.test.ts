// The Electron window's own reading of the local clipboard (focus-clipboard.ts): only with the
// focus, only when --clipboard, the page's setting and the agent let it reach the guest, and
// never what the guest itself copied.
import { describe, expect, it } from 'vitest';
import { clipboardPolicyFromArgv, FocusClipboard, type LocalClipboard, type LocalClipboardHost } from '../../../../src/main/electron/focus-clipboard.ts';
import { Limits } from '../../../../src/protocol/bridge/limits.ts';

const BOTH = { toGuest: true, fromGuest: true };
const AGENT = { kind: 'agent', connected: true, monitorsConfig: true, clipboard: true } as const;

function setup(policy = BOTH, takes = true) {
  const local = { text: 'local text', image: null as Uint8Array | null, reads: 0 };
  const clipboard: LocalClipboard = {
    readText: () => {
      local.reads++;
      return local.text;
    },
    readImage: () => {
      local.reads++;
      const png = local.image;
      return png ? { png, samePixels: (other) => other.length === png.length && other.every((b, i) => b === png[i]) } : null;
    },
  };
  const sent: ({ text: string } | { png: Uint8Array })[] = [];
  const host: LocalClipboardHost & { takesLocalClipboard: boolean } = { takesLocalClipboard: takes, localClipboard: (c) => sent.push(c) };
  const warnings: string[] = [];
  const fc = new FocusClipboard(policy, clipboard, () => host, (l) => warnings.push(l));
  return { local, sent, host, fc, warnings };
}

describe('FocusClipboard', () => {
  it('reads and sends the local clipboard when the window gets the focus', () => {
    const { local, sent, fc } = setup();
    fc.focus();
    expect(local.reads).toBe(1);
    expect(sent).toEqual([{ text: 'local text' }]);
  });

  it('reads nothing while the window has no focus, whatever the host says', () => {
    const { local, sent, fc } = setup();
    fc.observe({ kind: 'agent', connected: false, monitorsConfig: false, clipboard: false });
    fc.observe(AGENT);
    fc.focus();
    fc.blur();
    local.text = 'copied elsewhere';
    // The agent comes back while the window is in the background: still nothing read.
    fc.observe({ kind: 'agent', connected: false, monitorsConfig: false, clipboard: false });
    fc.observe(AGENT);
    expect(local.reads).toBe(1);
    expect(sent).toEqual([{ text: 'local text' }]);
  });

  it('reads when the agent comes while the window has the focus (no focus event follows)', () => {
    const { local, sent, fc, host } = setup();
    host.takesLocalClipboard = false;
    fc.focus();
    expect(local.reads).toBe(0);
    host.takesLocalClipboard = true;
    fc.observe(AGENT);
    expect(sent).toEqual([{ text: 'local text' }]);
  });

  it('with --clipboard from-guest or none, never reads', () => {
    for (const policy of [{ toGuest: false, fromGuest: true }, { toGuest: false, fromGuest: false }]) {
      const { local, sent, fc } = setup(policy);
      fc.focus();
      fc.observe(AGENT);
      expect(local.reads).toBe(0);
      expect(sent).toEqual([]);
    }
  });

  it('does not read when the host would not take it (the page turned sharing off, no agent, no session)', () => {
    const { local, sent, fc } = setup(BOTH, false);
    fc.focus();
    expect(local.reads).toBe(0);
    expect(sent).toEqual([]);
    const none = new FocusClipboard(BOTH, { readText: () => 'x', readImage: () => null }, () => null);
    none.focus();
    expect(none.stats.reads).toBe(0);
  });

  it('does not send back what the guest copied, nor the same text twice', () => {
    const { local, sent, fc } = setup();
    fc.observe({ kind: 'clipboard-text', text: 'from the guest' });
    local.text = 'from the guest';
    fc.focus();
    expect(sent).toEqual([]);
    local.text = 'new';
    fc.focus();
    fc.focus();
    expect(sent).toEqual([{ text: 'new' }]);
  });

  it('sends an image when there is no text, unless it shows the pixels the guest copied', () => {
    const { local, sent, fc } = setup();
    local.text = '';
    local.image = new Uint8Array([1, 2, 3]);
    fc.observe({ kind: 'clipboard-image', png: new Uint8Array([1, 2, 3]) });
    fc.focus();
    expect(sent).toEqual([]);
    local.image = new Uint8Array([4, 5]);
    fc.focus();
    expect(sent).toEqual([{ png: new Uint8Array([4, 5]) }]);
  });

  it('does not send text over the bridge limit, saying so', () => {
    const { local, sent, fc, warnings } = setup();
    local.text = 'x'.repeat(Limits.maxClipboardTextBytes + 1);
    fc.focus();
    expect(sent).toEqual([]);
    expect(warnings[0]).toMatch(/not shared with the guest/);
  });
});

describe('clipboardPolicyFromArgv', () => {
  it('reads --clipboard VALUE and --clipboard=VALUE before --; both when absent', () => {
    expect(clipboardPolicyFromArgv(['app'])).toEqual({ policy: BOTH });
    expect(clipboardPolicyFromArgv(['app', '--clipboard', 'none', 'x.vv'])).toEqual({ policy: { toGuest: false, fromGuest: false } });
    expect(clipboardPolicyFromArgv(['app', '--clipboard=to-guest'])).toEqual({ policy: { toGuest: true, fromGuest: false } });
    expect(clipboardPolicyFromArgv(['app', '--', '--clipboard=none'])).toEqual({ policy: BOTH });
  });

  it('refuses a wrong or missing value, naming the choices', () => {
    expect(clipboardPolicyFromArgv(['app', '--clipboard=off'])).toEqual({ error: expect.stringMatching(/--clipboard must be one of both, to-guest, from-guest, none, got "off"/) });
    expect(clipboardPolicyFromArgv(['app', '--clipboard'])).toEqual({ error: expect.stringMatching(/needs a value/) });
  });
});
