// --file-transfer none|to-guest: its own switch, apart from --clipboard. The host refuses a file
// offer under 'none' (whatever the page shows), naming the setting; the page is told in its policy;
// the option is parsed safely on every command line that takes it (serve, open, the Electron app's).
import { describe, expect, it } from 'vitest';
import type { FileHostMessage } from '../../../../src/protocol/bridge/file-messages.ts';
import { BRIDGE_VERSION } from '../../../../src/protocol/bridge/kinds.ts';
import { decodeHostMessage, encodeHostMessage } from '../../../../src/protocol/bridge/host-codec.ts';
import { pagePolicyMessage } from '../../../../src/protocol/bridge/policy-messages.ts';
import type { AgentEvents } from '../../../../src/protocol/channels/main/agent/agent.ts';
import { AgentMsg } from '../../../../src/protocol/channels/main/agent/agent-messages.ts';
import { AgentFileTransfers } from '../../../../src/protocol/channels/main/agent/file-transfer.ts';
import { Emitter } from '../../../../src/protocol/emitter.ts';
import { silentLogger } from '../../../../src/protocol/logger.ts';
import { parseFileTransfer, sessionPolicy } from '../../../../src/protocol/policy/kiosk-policy.ts';
import type { ConnectionProfile } from '../../../../src/protocol/profile/index.ts';
import { SpiceError } from '../../../../src/protocol/wire/errors.ts';
import { parseCommandLine } from '../../../../src/main/commands/args/parse-command-line.ts';
import { kioskFlags } from '../../../../src/main/commands/args/shared-options.ts';
import { openCommand } from '../../../../src/main/commands/open-command.ts';
import { serveCommand } from '../../../../src/main/commands/serve-command.ts';
import { kioskFlagsFromArgv, targetsFromArgv } from '../../../../src/main/electron/launch-args.ts';
import { BridgeHost, type GatewayTarget } from '../../../../src/main/host/bridge-host.ts';
import { FILE_TRANSFER_OFF_MESSAGE, PageFiles } from '../../../../src/main/host/page-files.ts';
import { FakePage } from '../../../helpers/fake-page.ts';
import { drainQueuedWork } from '../../../helpers/wait.ts';
import { fakeLink } from '../../channels/main/agent/fake-link.ts';

function pageFiles(policy?: 'none' | 'to-guest') {
  const link = fakeLink([]);
  const out: FileHostMessage[] = [];
  const files = new PageFiles((m) => out.push(m), silentLogger);
  if (policy) files.setPolicy(policy);
  files.attach({ files: new AgentFileTransfers(link), events: new Emitter<AgentEvents>() });
  return { link, out, files };
}

async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await drainQueuedWork();
}

describe('--file-transfer in the host', () => {
  it('none: a file offer is refused, naming the setting, and nothing reaches the agent', async () => {
    const { link, out, files } = pageFiles('none');
    files.handle({ kind: 'file-offer', id: 3, name: 'secret.pdf', size: 1000 });
    files.handle({ kind: 'file-data', id: 3, offset: 0, data: new Uint8Array(10) });
    await settle();
    expect(out).toEqual([{ kind: 'file-result', id: 3, outcome: 'disabled', message: FILE_TRANSFER_OFF_MESSAGE }]);
    expect(FILE_TRANSFER_OFF_MESSAGE).toContain('--file-transfer none');
    expect(link.sent.filter((m) => m.type === AgentMsg.FILE_XFER_START)).toEqual([]);
    expect(files.count).toBe(0);
  });

  it('to-guest (the default): the offer goes to the agent', async () => {
    for (const policy of [undefined, 'to-guest'] as const) {
      const { link, out, files } = pageFiles(policy);
      files.handle({ kind: 'file-offer', id: 1, name: 'a.txt', size: 10 });
      await settle();
      expect(out.filter((m) => m.kind === 'file-result')).toEqual([]);
      expect(link.sent.filter((m) => m.type === AgentMsg.FILE_XFER_START)).toHaveLength(1);
    }
  });

  it("BridgeHost applies the target's policy: the page is told, and an offer sent anyway is refused", async () => {
    const silentServer = () => new Promise<never>(() => {});
    const target: GatewayTarget = {
      label: 'silent',
      profile: {} as ConnectionProfile,
      plan: { where: 'silent:1', connector: silentServer },
      clipboard: { toGuest: true, fromGuest: true },
      kiosk: { kiosk: false, kioskQuit: 'never', fileTransfer: 'none' },
    };
    const page = new FakePage();
    const bridge = new BridgeHost(page, { targets: [target], logger: silentLogger, linkTimeoutMs: 60_000, helloTimeoutMs: 60_000 }, 1);
    page.say({ kind: 'hello', version: BRIDGE_VERSION, target: 0 });
    page.say({ kind: 'file-offer', id: 9, name: 'x.bin', size: 5 });
    await settle();
    expect(page.received.find((m) => m.kind === 'page-policy')).toMatchObject({ fileTransfer: 'none' });
    expect(page.received.filter((m) => m.kind === 'file-result')).toEqual([{ kind: 'file-result', id: 9, outcome: 'disabled', message: FILE_TRANSFER_OFF_MESSAGE }]);
    expect(bridge.closed).toBe(false);
    bridge.shutdown();
  });
});

describe('the policy', () => {
  it('is to-guest unless the command line says none, kiosk or not', () => {
    expect(sessionPolicy({ flags: { kiosk: false, kioskQuit: 'never' } }).fileTransfer).toBe('to-guest');
    expect(sessionPolicy({ flags: { kiosk: true, kioskQuit: 'never' } }).fileTransfer).toBe('to-guest');
    expect(sessionPolicy({ flags: { kiosk: true, kioskQuit: 'on-disconnect', fileTransfer: 'none' } }).fileTransfer).toBe('none');
  });

  it('crosses the bridge in PAGE_POLICY', () => {
    for (const fileTransfer of ['none', 'to-guest'] as const) {
      const m = pagePolicyMessage(sessionPolicy({ flags: { kiosk: true, kioskQuit: 'never', fileTransfer } }));
      expect(m.fileTransfer).toBe(fileTransfer);
      expect(decodeHostMessage(encodeHostMessage(m))).toEqual(m);
    }
  });
});

describe('--file-transfer on the command line', () => {
  const parse = (command: typeof serveCommand | typeof openCommand, args: string[]) => {
    const parsed = parseCommandLine<typeof serveCommand.options, unknown>(command as typeof serveCommand, args);
    if (parsed.help) throw new Error('help');
    return parsed.input;
  };

  it('is taken by serve and open, in both spellings, and reaches the policy flags', () => {
    for (const command of [serveCommand, openCommand]) {
      const values = parse(command, ['--file-transfer', 'none', 'spice://h:1']).values;
      expect(values.fileTransfer).toBe('none');
      expect(kioskFlags(values, () => {})).toEqual({ kiosk: false, kioskQuit: 'never', fileTransfer: 'none' });
      expect(parse(command, ['--file-transfer=to-guest', 'x']).values.fileTransfer).toBe('to-guest');
      expect(parse(command, ['x']).values.fileTransfer).toBeUndefined();
    }
  });

  it('refuses a value that is not one, inherited names included, and a repeat', () => {
    for (const bad of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'None', 'both', '']) {
      expect(() => parseFileTransfer(bad)).toThrow(SpiceError);
      expect(() => parse(serveCommand, [`--file-transfer=${bad}`, 'x'])).toThrow(/--file-transfer/);
    }
    expect(() => parse(serveCommand, ['--file-transfer', 'constructor', 'x'])).toThrow(/--file-transfer must be none or to-guest, got "constructor"/);
    expect(() => parse(serveCommand, ['--file-transfer=none', '--file-transfer=to-guest', 'x'])).toThrow(/more than once/);
  });

  it("is read from the Electron app's command line, and its value is not a TARGET", () => {
    expect(kioskFlagsFromArgv(['electron', '--file-transfer=none', 'a.vv'])).toEqual({ flags: { kiosk: false, kioskQuit: 'never', fileTransfer: 'none' } });
    expect(kioskFlagsFromArgv(['electron', '-k', '--file-transfer', 'to-guest'])).toEqual({ flags: { kiosk: true, kioskQuit: 'never', fileTransfer: 'to-guest' } });
    expect(kioskFlagsFromArgv(['electron', 'a.vv'])).toEqual({ flags: { kiosk: false, kioskQuit: 'never' } });
    expect(kioskFlagsFromArgv(['electron', '--file-transfer=constructor'])).toEqual({ error: '--file-transfer must be none or to-guest, got "constructor"' });
    expect(kioskFlagsFromArgv(['electron', '--file-transfer'])).toEqual({ error: '--file-transfer needs a value: none or to-guest' });
    expect(targetsFromArgv(['electron', '--file-transfer', 'none', '/x/a.vv'], { defaultApp: false, cwd: '/' }).targets).toEqual(['/x/a.vv']);
  });
});
