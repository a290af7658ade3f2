// A page's USB redirection in the bridge host (src/main/host/page-usb.ts) over an in-memory usbredir
// slot with a scripted guest: auto-redirect (enable-usb-autoshare) takes a device plugged while the
// page said it has focus (USB_FOCUS, decoded from its bridge bytes), a device plugged without focus
// waits in the panel's list; each auto-redirect is followed by USB_PROGRESS up to the guest's
// set_configuration.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { HostMessage, UiMessage } from '../../../../src/protocol/bridge/bridge-messages.ts';
import { BRIDGE_VERSION } from '../../../../src/protocol/bridge/kinds.ts';
import { decodeUiMessage, encodeUiMessage } from '../../../../src/protocol/bridge/ui-codec.ts';
import type { UsbProgressMessage, UsbStateMessage } from '../../../../src/protocol/bridge/usb-messages.ts';
import { silentLogger } from '../../../../src/protocol/logger.ts';
import type { ConnectionProfile } from '../../../../src/protocol/profile/index.ts';
import type { Session } from '../../../../src/protocol/session/session.ts';
import { UsbredirCap } from '../../../../src/protocol/usbredir/usbredir-constants.ts';
import { PageUsb } from '../../../../src/main/host/page-usb.ts';
import { EmulatedUsbSource } from '../../../../src/main/usb/emulated-device.ts';
import { slotWithGuest } from '../../../helpers/usbredir-slot.ts';
import { waitUntil } from '../../../helpers/wait.ts';
import { SimulatedDisk } from '../../../peers/usb-simulated.ts';

const work = mkdtempSync(join(tmpdir(), 'spicedesk-pageusb-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const NO_ACK = 0xff & ~(1 << UsbredirCap.device_disconnect_ack);

function disk(name: string): SimulatedDisk {
  const path = join(work, `${name}.img`);
  writeFileSync(path, new Uint8Array(64 * 512));
  return new SimulatedDisk({ path, id: `sim:${name}` });
}

async function pageWithSlot(profile: Partial<ConnectionProfile>) {
  const s = await slotWithGuest(NO_ACK);
  const sent: HostMessage[] = [];
  const pageUsb = new PageUsb((m) => sent.push(m), silentLogger, () => s.source, () => new EmulatedUsbSource('HID devices'));
  const session = {} as Session;
  pageUsb.attach(session);
  pageUsb.channelLinked(session, s.channel, profile as ConnectionProfile, undefined);
  await waitUntil('the panel\'s first state', () => sent.some((m) => m.kind === 'usb-state' && m.slots.length === 1));
  /** What the page sends, through the bridge's encoding and its hostile-input decoder. */
  const fromPage = (m: UiMessage): void => {
    const back = decodeUiMessage(encodeUiMessage(m), BRIDGE_VERSION);
    if (back.kind !== 'usb-focus') throw new Error(`not a focus message: ${back.kind}`);
    pageUsb.focusChanged(back.focused);
  };
  const lastState = (): UsbStateMessage | undefined => sent.filter((m): m is UsbStateMessage => m.kind === 'usb-state').at(-1);
  const slotOf = (id: string): string | undefined => lastState()?.devices.find((d) => d.id === id)?.slot;
  const steps = (id: string): string[] => sent.filter((m): m is UsbProgressMessage => m.kind === 'usb-progress' && m.id === id).map((m) => m.step);
  return { s, sent, pageUsb, fromPage, slotOf, steps };
}

describe('a page\'s USB auto-redirect and attach progress', () => {
  it('redirects a device plugged while the page has focus, not one plugged before it said so or after it lost it', async () => {
    const { s, pageUsb, fromPage, slotOf, steps } = await pageWithSlot({ enableUsbAutoshare: true });
    // The page has said nothing yet: no focus.
    const early = disk('early');
    s.source.plug(early);
    await waitUntil('the early disk listed, here', () => slotOf('sim:early') === '');
    fromPage({ kind: 'usb-focus', focused: true });
    const focused = disk('focused');
    s.source.plug(focused);
    await waitUntil('the focused disk offered to the guest', () => s.types().includes('device_connect'));
    s.send({ type: 'set_configuration', id: 7n, configuration: 1 });
    await waitUntil('the guest configured it', () => steps('sim:focused').includes('configured'));
    expect(steps('sim:focused')).toEqual(['opening', 'connecting', 'offered', 'configured']);
    await waitUntil('the panel shows it on the slot', () => slotOf('sim:focused') === s.channel.name);
    // The device plugged without focus stayed in the panel, never went in, and focus did not pull it in.
    expect(slotOf('sim:early')).toBe('');
    expect(steps('sim:early')).toEqual([]);
    // Focus lost: the slot freed and a device plugged now waits too.
    fromPage({ kind: 'usb-focus', focused: false });
    s.source.unplug('sim:focused');
    await waitUntil('the slot freed', () => s.channel.device === null);
    const late = disk('late');
    s.source.plug(late);
    await waitUntil('the late disk listed, here', () => slotOf('sim:late') === '');
    expect(steps('sim:late')).toEqual([]);
    expect(s.channel.device).toBeNull();
    pageUsb.attach(null);
    for (const d of [early, focused, late]) d.close();
  });

  it('without enable-usb-autoshare a focused page redirects nothing on plug', async () => {
    const { s, pageUsb, fromPage, slotOf, steps } = await pageWithSlot({});
    fromPage({ kind: 'usb-focus', focused: true });
    const d = disk('noauto');
    s.source.plug(d);
    await waitUntil('the disk listed, here', () => slotOf('sim:noauto') === '');
    expect(steps('sim:noauto')).toEqual([]);
    expect(s.channel.device).toBeNull();
    pageUsb.attach(null);
    d.close();
  });

  it('a page attach is followed step by step; a refused auto-redirect tells the panel why', async () => {
    const { s, sent, pageUsb, fromPage, steps } = await pageWithSlot({ enableUsbAutoshare: true });
    const first = disk('first');
    s.source.plug(first);
    await pageUsb.handle({ kind: 'usb-attach', id: 'sim:first' });
    expect(sent.find((m) => m.kind === 'usb-result' && m.id === 'sim:first')).toMatchObject({ ok: true });
    expect(steps('sim:first')).toEqual(['opening', 'connecting', 'offered']);
    fromPage({ kind: 'usb-focus', focused: true });
    const second = disk('second');
    s.source.plug(second);
    await waitUntil('the second disk refused', () => sent.some((m) => m.kind === 'usb-result' && m.id === 'sim:second'));
    expect(sent.find((m) => m.kind === 'usb-result' && m.id === 'sim:second')).toMatchObject({
      ok: false, message: expect.stringMatching(/^all 1 USB redirection slots of the VM are in use/),
    });
    pageUsb.attach(null);
    first.close();
    second.close();
  });
});
