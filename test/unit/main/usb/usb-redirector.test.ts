// The session's USB policy (src/main/usb/usb-redirector.ts) over in-memory usbredir slots with a
// scripted guest: every refusal with its own sentence, redirect-on-connect, auto-redirect on plug,
// the shared CD, detach.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../../src/protocol/logger.ts';
import { UsbredirCap } from '../../../../src/protocol/usbredir/usbredir-constants.ts';
import { HidDeviceSource } from '../../../../src/main/usb/hid-device-source.ts';
import { UsbPackageSource } from '../../../../src/main/usb/usb-device-source.ts';
import {
  defaultUsbPolicy, detachSentence, parseUsbSelector, UsbRedirector, UsbRefusal, type UsbPolicy, type UsbRefusalReason,
} from '../../../../src/main/usb/usb-redirector.ts';
import { fakeNodeHid, RAW_HID_REPORT_DESCRIPTOR } from '../../../helpers/fake-node-hid.ts';
import { slotWithGuest } from '../../../helpers/usbredir-slot.ts';
import { waitUntil } from '../../../helpers/wait.ts';
import { isoImage } from '../../../peers/iso9660.ts';
import { SimulatedDisk, SimulatedKeyboard } from '../../../peers/usb-simulated.ts';

const work = mkdtempSync(join(tmpdir(), 'spicedesk-usbpolicy-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Guest caps without device_disconnect_ack: a detach frees the slot at once. */
const NO_ACK = 0xff & ~(1 << UsbredirCap.device_disconnect_ack);

async function setup(policy: Partial<UsbPolicy> = {}, slots = 1, filter?: string) {
  const s = await slotWithGuest(NO_ACK, 0, filter);
  const others = [];
  for (let i = 1; i < slots; i++) others.push(await slotWithGuest(NO_ACK, i, filter));
  const redirector = new UsbRedirector({ logger: silentLogger, policy: { ...defaultUsbPolicy(), ...policy }, extraSources: [s.source] });
  return { s, others, redirector };
}

async function refusal(p: Promise<unknown>): Promise<{ reason: UsbRefusalReason; message: string }> {
  const e = await p.then(() => null, (err: unknown) => err);
  expect(e).toBeInstanceOf(UsbRefusal);
  return { reason: (e as UsbRefusal).reason, message: (e as UsbRefusal).message };
}

const keyboard = parseUsbSelector('1209:0001')!;

describe('UsbRedirector', () => {
  it('reads VID:PID, BUS-PORT and cd:FILE; nothing else', () => {
    expect(parseUsbSelector('0781:5583')).toEqual({ kind: 'ids', vendorId: 0x0781, productId: 0x5583 });
    expect(parseUsbSelector('1-2.3')).toEqual({ kind: 'path', id: '1-2.3' });
    expect(parseUsbSelector('cd:/tmp/a.iso')).toEqual({ kind: 'cd', file: '/tmp/a.iso' });
    for (const bad of ['07815583', 'cd:', '1-', 'x:y', '12345:1', 'hid:']) expect(parseUsbSelector(bad)).toBeNull();
    // HID devices through node-hid: by their id (hid: and hidapi's path) or hid:VID:PID.
    expect(parseUsbSelector('hid:/dev/hidraw3')).toEqual({ kind: 'path', id: 'hid:/dev/hidraw3' });
    expect(parseUsbSelector('hid:1050:0407')).toEqual({ kind: 'hid-ids', vendorId: 0x1050, productId: 0x0407 });
  });

  it('refuses when redirection is disabled, and when the VM has no slots', async () => {
    const { s, redirector } = await setup({ enabled: false });
    redirector.addSlot(s.channel);
    expect(await refusal(redirector.attach(keyboard))).toEqual({
      reason: 'disabled', message: expect.stringMatching(/^USB redirection is disabled for this connection \(enable-usbredir=0.*spicedesk simulated keyboard \(1209:0001\)/),
    });
    const none = new UsbRedirector({ logger: silentLogger, policy: defaultUsbPolicy(), extraSources: [s.source] });
    expect(await refusal(none.attach(keyboard))).toEqual({ reason: 'no-slots', message: expect.stringMatching(/the VM has no USB redirection slots \(its QEMU needs -chardev spicevmc,name=usbredir/) });
  });

  it('refuses what the guest\'s filter blocks, naming the filter', async () => {
    const { s, redirector } = await setup({}, 1, '0x03,-1,-1,-1,0|-1,-1,-1,-1,1');
    redirector.addSlot(s.channel);
    await waitUntil('the guest filter', () => s.channel.guestFilter !== null);
    expect(await refusal(redirector.attach(keyboard))).toEqual({
      reason: 'filter', message: "the VM's USB filter (0x03,-1,-1,-1,0|-1,-1,-1,-1,1) blocks spicedesk simulated keyboard (1209:0001): blocked by a rule",
    });
    expect(s.channel.device).toBeNull();
  });

  it('attaches on the free slot; again is "already redirected"; a second device finds no free slot; detach frees it', async () => {
    const { s, redirector } = await setup();
    redirector.addSlot(s.channel);
    const path = join(work, 'disk.img');
    writeFileSync(path, new Uint8Array(64 * 512));
    const disk = new SimulatedDisk({ path });
    s.source.plug(disk);
    const host = await redirector.attach(keyboard);
    expect(s.channel.device).toBe(host);
    expect((await redirector.devices()).find((d) => d.description.id === 'sim:keyboard')?.slot).toBe(s.channel.name);
    expect(await refusal(redirector.attach(keyboard))).toEqual({ reason: 'already-redirected', message: `spicedesk simulated keyboard (1209:0001) is already redirected (on ${s.channel.name})` });
    expect(await refusal(redirector.attach(parseUsbSelector('1209:0002')!))).toEqual({
      reason: 'no-free-slot', message: 'all 1 USB redirection slots of the VM are in use; detach a device first (spicedesk do TARGET usb-detach ...) to redirect spicedesk simulated disk (1209:0002)',
    });
    expect(await redirector.detach(keyboard)).toMatchObject({ device: { vendorId: 0x1209, productId: 1 }, outcome: 'sent' });
    expect(s.channel.device).toBeNull();
    expect(await refusal(redirector.detach(keyboard))).toEqual({ reason: 'not-redirected', message: 'spicedesk simulated keyboard (1209:0001) is not redirected to this VM; nothing to detach' });
    await redirector.attach(parseUsbSelector('1209:0002')!);
    await redirector.close();
    expect(s.channel.device).toBeNull();
    disk.close();
  });

  it('says busy / needs a driver with the source\'s sentence, and "not found" for an unknown device', async () => {
    const { s, redirector } = await setup();
    redirector.addSlot(s.channel);
    const open = s.source.open.bind(s.source);
    await open('sim:keyboard'); // held elsewhere
    expect(await refusal(redirector.attach(keyboard))).toEqual({ reason: 'busy', message: 'cannot open spicedesk simulated keyboard (1209:0001): sim:keyboard is already redirected' });
    expect(await refusal(redirector.attach(parseUsbSelector('dead:beef')!))).toEqual({ reason: 'not-found', message: 'no USB device dead:beef on this machine (spicedesk usb list shows them)' });
  });

  it('without USB on the machine: one notice, and attach says why', async () => {
    const s = await slotWithGuest(NO_ACK);
    const hostSource = new UsbPackageSource({
      load: async () => ({
        getDevices: async () => { throw new Error('getDevices error: /sys/bus/usb/devices/ not found (errno 2)'); },
        addEventListener: () => { throw new Error('must not listen'); },
        removeEventListener: () => {},
      }),
    });
    const redirector = new UsbRedirector({ logger: silentLogger, policy: defaultUsbPolicy(), hostSource });
    const notices: string[] = [];
    redirector.events.on('notice', (m) => notices.push(m));
    redirector.addSlot(s.channel);
    expect(await refusal(redirector.attach(parseUsbSelector('1-1')!))).toEqual({
      reason: 'no-usb', message: 'no USB device 1-1: no USB on this machine (getDevices error: /sys/bus/usb/devices/ not found (errno 2))',
    });
    await redirector.devices();
    expect(notices).toEqual(['no USB on this machine (getDevices error: /sys/bus/usb/devices/ not found (errno 2))']);
  });

  it('redirect-on-connect: a shared CD goes in when the slot says hello; then the first device the rules allow', async () => {
    const iso = join(work, 'a.iso');
    writeFileSync(iso, isoImage('A', [{ name: 'A.TXT', data: new TextEncoder().encode('a') }]));
    const { s, others, redirector } = await setup({ sharedCds: [iso], redirectOnConnect: '0x03,-1,-1,-1,1' }, 2);
    const attached: string[] = [];
    redirector.events.on('attached', (a) => attached.push(`${a.device.id}@${a.slot}`));
    redirector.addSlot(s.channel);
    await waitUntil('the CD on the first slot', () => attached.length === 1);
    expect(attached).toEqual([`cd:${iso}@${s.channel.name}`]);
    redirector.addSlot(others[0].channel);
    await waitUntil('the keyboard on the second slot', () => attached.length === 2);
    expect(attached[1]).toBe(`sim:keyboard@${others[0].channel.name}`);
    expect(await refusal(redirector.attach(parseUsbSelector(`cd:${iso}`)!))).toMatchObject({ reason: 'already-redirected' });
    await redirector.detach(parseUsbSelector(`cd:${iso}`)!);
    await redirector.close();
  });

  it('words each way a detach can end: "left the VM" only when the VM confirmed it or has no confirmation to give', () => {
    const device = { id: 'sim:keyboard', vendorId: 0x1209, productId: 1, manufacturer: 'spicedesk', product: 'spicedesk simulated keyboard' } as Parameters<typeof detachSentence>[0]['device'];
    const say = (outcome: Parameters<typeof detachSentence>[0]['outcome'], slotBack = false): string => detachSentence({ device, slot: 'usbredir:1', outcome, slotBack });
    expect(say('acknowledged')).toBe('spicedesk simulated keyboard (1209:0001) left the VM');
    expect(say('sent')).toBe('spicedesk simulated keyboard (1209:0001) left the VM');
    expect(say('slot-closed')).toBe('spicedesk simulated keyboard (1209:0001) left the VM with its USB slot usbredir:1, which closed');
    expect(say('slot-reset', true)).toBe('the VM did not confirm that spicedesk simulated keyboard (1209:0001) left; its USB slot usbredir:1 was reset (closed and linked again), which takes the device out');
    expect(say('slot-reset', false)).toBe('the VM did not confirm that spicedesk simulated keyboard (1209:0001) left; its USB slot usbredir:1 was reset (closed), which takes the device out');
  });

  it('a shared CD the user took out stays out when a slot links later (one reset after an unconfirmed detach); naming it puts it back', async () => {
    const iso = join(work, 'out.iso');
    writeFileSync(iso, isoImage('OUT', [{ name: 'O.TXT', data: new TextEncoder().encode('o') }]));
    const { s, others, redirector } = await setup({ sharedCds: [iso] }, 2);
    const attached: string[] = [];
    redirector.events.on('attached', (a) => attached.push(`${a.device.id}@${a.slot}`));
    await redirector.addSlot(s.channel);
    expect(attached).toEqual([`cd:${iso}@${s.channel.name}`]);
    expect(await redirector.detach(parseUsbSelector(`cd:${iso}`)!)).toMatchObject({ outcome: 'sent', slot: s.channel.name });
    await redirector.addSlot(others[0].channel);
    expect(attached).toHaveLength(1);
    expect((await redirector.attach(parseUsbSelector(`cd:${iso}`)!)).channel.name).toBe(s.channel.name);
    await redirector.close();
  });

  it('several shared CDs: two slots coming up at once each take their own CD, none refused; each has its own serial', async () => {
    const isos = ['one.iso', 'two.iso'].map((name) => {
      const path = join(work, name);
      writeFileSync(path, isoImage(name.slice(0, 3).toUpperCase(), [{ name: 'X.TXT', data: new TextEncoder().encode(name) }]));
      return path;
    });
    const { s, others, redirector } = await setup({ sharedCds: isos }, 2);
    const attached: string[] = [];
    const refused: string[] = [];
    redirector.events.on('attached', (a) => attached.push(`${a.device.id}@${a.slot}`));
    redirector.events.on('refused', (r) => refused.push(r.refusal.message));
    await Promise.all([redirector.addSlot(s.channel), redirector.addSlot(others[0].channel)]);
    expect(refused).toEqual([]);
    expect(attached.sort()).toEqual([`cd:${isos[0]}@${s.channel.name}`, `cd:${isos[1]}@${others[0].channel.name}`].sort());
    const serials = (await redirector.devices()).filter((e) => e.description.id.startsWith('cd:')).map((e) => e.description.serial);
    expect(new Set(serials).size).toBe(2);
    await redirector.close();
  });

  it('a missing ISO file is refused with the file\'s problem', async () => {
    const { s, redirector } = await setup();
    redirector.addSlot(s.channel);
    await expect(redirector.attach(parseUsbSelector(`cd:${join(work, 'nope.iso')}`)!)).rejects.toThrow(/ENOENT.*nope\.iso/);
  });

  it('auto-redirect: a plugged device the rules allow goes in while focused; HID does not by default; nothing without focus', async () => {
    let focused = false;
    const s = await slotWithGuest(NO_ACK);
    const redirector = new UsbRedirector({ logger: silentLogger, policy: { ...defaultUsbPolicy(), autoRedirect: true }, extraSources: [s.source], focused: () => focused });
    redirector.addSlot(s.channel);
    const attached: string[] = [];
    redirector.events.on('attached', (a) => attached.push(a.device.id));
    const path = join(work, 'disk2.img');
    writeFileSync(path, new Uint8Array(64 * 512));
    const disk = new SimulatedDisk({ path, id: 'sim:disk2' });
    s.source.plug(disk);
    focused = true;
    s.source.plug(new SimulatedKeyboard({ id: 'sim:keyboard2' }));
    s.source.unplug('sim:disk2');
    s.source.plug(disk);
    await waitUntil('the disk auto-redirected', () => attached.length === 1);
    expect(attached).toEqual(['sim:disk2']);
    // Unplugged while redirected: taken off its slot.
    s.source.unplug('sim:disk2');
    await waitUntil('the slot freed', () => s.channel.device === null);
    disk.close();
  });

  it('HID devices through node-hid (a fake of its API): listed, attached by hid:VID:PID or hid:PATH only, never on connect', async () => {
    const hidSource = new HidDeviceSource(async () => fakeNodeHid(), () => RAW_HID_REPORT_DESCRIPTOR);
    const s = await slotWithGuest(NO_ACK, 0);
    const second = await slotWithGuest(NO_ACK, 1);
    const redirector = new UsbRedirector({
      logger: silentLogger, policy: { ...defaultUsbPolicy(), redirectOnConnect: '-1,-1,-1,-1,1' }, extraSources: [s.source], hidSource,
    });
    const attached: string[] = [];
    redirector.events.on('attached', (a) => attached.push(`${a.device.id}@${a.slot}`));
    await redirector.addSlot(s.channel);
    await redirector.addSlot(second.channel);
    // A rule that allows everything took the simulated keyboard on connect, not the HID device.
    expect(attached).toEqual([`sim:keyboard@${s.channel.name}`]);
    expect(second.channel.device).toBeNull();
    expect((await redirector.devices()).map((e) => e.description.id)).toContain('hid:/dev/hidraw7');
    // Its VID:PID without hid: names a USB device, which there is not.
    expect(await refusal(redirector.attach(parseUsbSelector('16c0:0486')!))).toMatchObject({ reason: 'not-found' });
    const host = await redirector.attach(parseUsbSelector('hid:16c0:0486')!);
    expect(host.channel).toBe(second.channel);
    expect(host.device.description).toMatchObject({ id: 'hid:/dev/hidraw7', vendorId: 0x16c0, productId: 0x0486 });
    expect(await refusal(redirector.attach(parseUsbSelector('hid:/dev/hidraw7')!))).toMatchObject({ reason: 'already-redirected' });
    expect((await redirector.detach(parseUsbSelector('hid:/dev/hidraw7')!)).device.id).toBe('hid:/dev/hidraw7');
    expect(second.channel.device).toBeNull();
    expect(await refusal(redirector.attach(parseUsbSelector('hid:/dev/hidraw9')!))).toEqual({
      reason: 'not-found', message: 'no HID device hid:/dev/hidraw9 on this machine (spicedesk usb list shows them)',
    });
    await redirector.close();
  });

  it('HID when node-hid does not load: attach says why; the other sources go on', async () => {
    const s = await slotWithGuest(NO_ACK, 0);
    const hidSource = new HidDeviceSource(async () => { throw new Error('No native build was found'); }, () => null);
    const redirector = new UsbRedirector({ logger: silentLogger, policy: defaultUsbPolicy(), extraSources: [s.source], hidSource });
    await redirector.addSlot(s.channel);
    expect((await redirector.devices()).map((e) => e.description.id)).toEqual(['sim:keyboard']);
    expect(await refusal(redirector.attach(parseUsbSelector('hid:1050:0407')!))).toEqual({
      reason: 'no-usb', message: 'no HID device hid:1050:0407: node-hid does not load on this machine (No native build was found)',
    });
    expect((await redirector.attach(keyboard)).channel).toBe(s.channel);
    await redirector.close();
  });
});
