// The host's clipboard policy (--clipboard) bounds what a page may turn on: the page's wish is
// narrowed, text and images from the page are dropped in a direction the policy closes, and the
// page is told the policy. Also the --clipboard option parser and the page's image parts.
import { describe, expect, it, vi } from 'vitest';
import type { HostMessage } from '../../../../src/protocol/bridge/bridge-messages.ts';
import { Agent } from '../../../../src/protocol/channels/main/agent/agent.ts';
import { AgentCap, buildAnnounceCapabilities } from '../../../../src/protocol/channels/main/agent/agent-messages.ts';
import { CapSet } from '../../../../src/protocol/link/caps.ts';
import { silentLogger } from '../../../../src/protocol/logger.ts';
import type { Session } from '../../../../src/protocol/session/session.ts';
import { SpiceError } from '../../../../src/protocol/wire/errors.ts';
import { CLIPBOARD_POLICY_NAMES, clipboardPolicyName, parseClipboardPolicy } from '../../../../src/main/clipboard/clipboard-option.ts';
import { parseCommandLine } from '../../../../src/main/commands/args/parse-command-line.ts';
import { serveCommand } from '../../../../src/main/commands/serve-command.ts';
import { ImageParts } from '../../../../src/main/host/page-clipboard-images.ts';
import { PageAgent } from '../../../../src/main/host/page-agent.ts';
import { encodeSurfacePng } from '../../../../src/main/node/png.ts';

function agentWithClipboard(): Agent {
  const agent = new Agent({ sendAgentData: () => {}, log: silentLogger });
  agent.connect();
  agent.takeCapabilities(buildAnnounceCapabilities({ request: false, caps: CapSet.of(AgentCap.CLIPBOARD_BY_DEMAND, AgentCap.CLIPBOARD_SELECTION) }));
  return agent;
}

function setup(policy: { toGuest: boolean; fromGuest: boolean } | undefined) {
  const sent: HostMessage[] = [];
  const page = new PageAgent((m) => sent.push(m), silentLogger);
  page.setPolicy(policy);
  const agent = agentWithClipboard();
  const setText = vi.spyOn(agent.clipboard, 'setText').mockResolvedValue();
  const setPng = vi.spyOn(agent.clipboard, 'setPng').mockResolvedValue();
  page.attach({ main: { agent } } as unknown as Session);
  return { page, agent, sent, setText, setPng };
}

const png = encodeSurfacePng({ width: 2, height: 2, data: new Uint32Array(4).fill(0xff336699) });

describe('the host clipboard policy', () => {
  it('none: the page cannot turn sharing on, and nothing crosses', () => {
    const { page, agent, sent, setText, setPng } = setup({ toGuest: false, fromGuest: false });
    expect(sent).toContainEqual({ kind: 'clipboard-policy', toGuest: false, fromGuest: false });
    page.setSharing({ toGuest: true, fromGuest: true });
    expect(agent.clipboard.currentSharing).toEqual({ toGuest: false, fromGuest: false });
    page.pageText('secret');
    page.images.pagePart(png.byteLength, 0, png);
    expect(setText).not.toHaveBeenCalled();
    expect(setPng).not.toHaveBeenCalled();
  });

  it('to-guest: text and images go to the guest, the other direction stays closed', () => {
    const { page, agent, sent, setText, setPng } = setup({ toGuest: true, fromGuest: false });
    expect(sent).toContainEqual({ kind: 'clipboard-policy', toGuest: true, fromGuest: false });
    page.setSharing({ toGuest: true, fromGuest: true });
    expect(agent.clipboard.currentSharing).toEqual({ toGuest: true, fromGuest: false });
    page.pageText('hello');
    expect(setText).toHaveBeenCalledWith('hello');
    // In two parts, as the page sends large images.
    page.images.pagePart(png.byteLength, 0, png.subarray(0, 10));
    expect(setPng).not.toHaveBeenCalled();
    page.images.pagePart(png.byteLength, 10, png.subarray(10));
    expect(setPng).toHaveBeenCalledTimes(1);
    expect(Buffer.compare(Buffer.from(setPng.mock.calls[0][0]), png)).toBe(0);
  });

  it('without a policy both directions follow the page, which can still turn them off', () => {
    const { page, agent, setText } = setup(undefined);
    expect(agent.clipboard.currentSharing).toEqual({ toGuest: true, fromGuest: true });
    page.setSharing({ toGuest: false, fromGuest: true });
    page.pageText('no');
    expect(setText).not.toHaveBeenCalled();
  });

  it('says when the local clipboard would reach the guest, so that the Electron window reads it only then', () => {
    expect(setup(undefined).page.takesPageClipboard).toBe(true);
    expect(setup({ toGuest: true, fromGuest: false }).page.takesPageClipboard).toBe(true);
    expect(setup({ toGuest: false, fromGuest: true }).page.takesPageClipboard).toBe(false);
    const { page } = setup(undefined);
    page.setSharing({ toGuest: false, fromGuest: true });
    expect(page.takesPageClipboard).toBe(false);
    page.setSharing({ toGuest: true, fromGuest: true });
    page.detach();
    expect(page.takesPageClipboard).toBe(false);
  });

  it('an image from the page that is not a PNG is dropped', () => {
    const { page, setPng } = setup(undefined);
    const gif = new TextEncoder().encode('GIF89a' + 'x'.repeat(40));
    page.images.pagePart(gif.byteLength, 0, gif);
    expect(setPng).not.toHaveBeenCalled();
  });
});

describe('image parts', () => {
  it('assemble in order and refuse gaps or a changed total', () => {
    const parts = new ImageParts();
    expect(parts.add(6, 0, Uint8Array.of(1, 2))).toBeNull();
    expect(parts.add(6, 2, Uint8Array.of(3, 4))).toBeNull();
    expect(Array.from(parts.add(6, 4, Uint8Array.of(5, 6)) ?? [])).toEqual([1, 2, 3, 4, 5, 6]);
    parts.add(6, 0, Uint8Array.of(1));
    expect(() => parts.add(6, 3, Uint8Array.of(1))).toThrow(/offset 3 of 6 bytes does not follow the 1 bytes received/);
    expect(() => parts.add(6, 1, Uint8Array.of(1))).toThrow(/does not follow/);
    parts.add(6, 0, Uint8Array.of(1));
    expect(() => parts.add(7, 1, Uint8Array.of(1))).toThrow(/of 7 bytes/);
  });
});

describe('--clipboard', () => {
  const serve = (args: string[]) => {
    const parsed = parseCommandLine(serveCommand, args);
    if (parsed.help) throw new Error('help');
    return parsed.input;
  };

  it('is read by the shared parser, in both spellings', () => {
    const input = serve(['--listen', ':8080', '--clipboard', 'to-guest', 'spice://h:1']);
    expect(input.values.clipboard).toEqual({ toGuest: true, fromGuest: false });
    expect(input.operands).toEqual(['spice://h:1']);
    expect(serve(['--clipboard=none', 'x']).values.clipboard).toEqual({ toGuest: false, fromGuest: false });
    expect(serve(['x']).values.clipboard).toBeUndefined();
    const afterDashes = serve(['--', '--clipboard', 'none']);
    expect(afterDashes.values.clipboard).toBeUndefined();
    expect(afterDashes.operands).toEqual(['--clipboard', 'none']);
  });

  it('refuses a missing, unknown or repeated value', () => {
    expect(() => serve(['--clipboard'])).toThrow(SpiceError);
    expect(() => serve(['--clipboard', '--verbose'])).toThrow(/needs a value/);
    expect(() => serve(['--clipboard', 'off'])).toThrow(/--clipboard must be one of both, to-guest, from-guest, none, got "off"/);
    expect(() => serve(['--clipboard', 'constructor'])).toThrow(/--clipboard must be one of/);
    expect(() => serve(['--clipboard=both', '--clipboard=none'])).toThrow(/more than once/);
    expect(parseClipboardPolicy('from-guest')).toEqual({ toGuest: false, fromGuest: true });
  });

  it('is named again for the Electron app, as `spicedesk open` hands it over', () => {
    for (const name of CLIPBOARD_POLICY_NAMES) expect(clipboardPolicyName(parseClipboardPolicy(name))).toBe(name);
  });
});
