// The usb-host against a scripted usb-guest over an in-memory usbredir channel: what it sends on
// attach, how it answers the guest, the filter, resets, interrupt polling, cancel and detach.
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../../src/protocol/logger.ts';
import { UsbAttachError, UsbredirHost } from '../../../../src/main/usb/usbredir-host.ts';
import { slotWithGuest } from '../../../helpers/usbredir-slot.ts';
import { waitUntil } from '../../../helpers/wait.ts';
import { miniMessage } from '../../../helpers/server-messages.ts';

describe('usbredir usb-host', () => {
  it('offers the device with ep_info, interface_info, device_connect (in that order), after one reset', async () => {
    const s = await slotWithGuest();
    const host = await UsbredirHost.attach(s.channel, await s.source.open('sim:keyboard'), { logger: silentLogger });
    expect(s.types()).toEqual(['hello', 'ep_info', 'interface_info', 'device_connect']);
    const [, ep, info, connect] = s.poll();
    expect(ep.type === 'ep_info' && ep.endpoints[17]).toEqual({ type: 3, interval: 10, interface: 0, maxPacketSize: 8, maxStreams: 0 });
    expect(ep.type === 'ep_info' && [ep.endpoints[0].type, ep.endpoints[16].type, ep.endpoints[0].maxPacketSize]).toEqual([0, 0, 64]);
    expect(info.type === 'interface_info' && info.interfaces).toEqual([{ interface: 0, class: 3, subclass: 1, protocol: 1 }]);
    expect(connect).toMatchObject({ type: 'device_connect', speed: 1, vendorId: 0x1209, productId: 0x0001, deviceVersionBcd: 0x0100 });
    expect(s.keyboard.requests).toEqual(['reset']);
    expect(host.state).toBe('connected');
    expect(s.channel.device).toBe(host);
  });

  it('ignores the guest\'s resets until a transfer happened, answers control requests, and configuration with descriptors first', async () => {
    const s = await slotWithGuest();
    await UsbredirHost.attach(s.channel, await s.source.open('sim:keyboard'), { logger: silentLogger });
    s.send({ type: 'reset', id: 1n });
    s.send({ type: 'reset', id: 2n });
    const n = s.poll().length;
    s.send({ type: 'control_packet', id: 3n, endpoint: 0x80, request: 6, requestType: 0x80, status: 0, value: 0x0100, index: 0, length: 64, data: new Uint8Array(0) });
    const device = await s.reply('control_packet', n);
    expect(device).toMatchObject({ id: 3n, status: 0, length: 18 });
    expect([...device.data.subarray(0, 2)]).toEqual([18, 1]);
    // A descriptor the device does not have: STALL, with no data.
    s.send({ type: 'control_packet', id: 4n, endpoint: 0x80, request: 6, requestType: 0x80, status: 0, value: 0x0600, index: 0, length: 10, data: new Uint8Array(0) });
    await waitUntil('the qualifier stall', () => s.poll().some((p) => p.type === 'control_packet' && p.id === 4n));
    expect(s.poll().find((p) => p.type === 'control_packet' && p.id === 4n)).toMatchObject({ status: 4, length: 0 });
    s.send({ type: 'reset', id: 5n });
    const m = s.poll().length;
    s.send({ type: 'set_configuration', id: 6n, configuration: 1 });
    await s.reply('configuration_status', m);
    expect(s.types().slice(m)).toEqual(['ep_info', 'interface_info', 'configuration_status']);
    expect(s.poll().at(-1)).toMatchObject({ id: 6n, status: 0, configuration: 1 });
    // One reset from attach, none for the two resets before any transfer, one after them.
    expect(s.keyboard.requests.filter((r) => r === 'reset')).toHaveLength(2);
    // OUT control request (SET_IDLE) answered with its length.
    const k = s.poll().length;
    s.send({ type: 'control_packet', id: 7n, endpoint: 0x00, request: 0x0a, requestType: 0x21, status: 0, value: 0, index: 0, length: 0, data: new Uint8Array(0) });
    expect(await s.reply('control_packet', k)).toMatchObject({ id: 7n, status: 0, length: 0 });
  });

  it('polls the interrupt endpoint after start_interrupt_receiving: key reports go out unasked with ids from 0', async () => {
    const s = await slotWithGuest();
    await UsbredirHost.attach(s.channel, await s.source.open('sim:keyboard'), { logger: silentLogger });
    const n = s.poll().length;
    s.send({ type: 'start_interrupt_receiving', id: 9n, endpoint: 0x81 });
    expect(await s.reply('interrupt_receiving_status', n)).toMatchObject({ id: 9n, status: 0, endpoint: 0x81 });
    s.keyboard.press(0x04);
    await waitUntil('two reports', () => s.poll().filter((p) => p.type === 'interrupt_packet').length === 2);
    const reports = s.poll().filter((p) => p.type === 'interrupt_packet');
    expect(reports.map((p) => p.type === 'interrupt_packet' && [p.id, [...p.data]])).toEqual([
      [0n, [0, 0, 4, 0, 0, 0, 0, 0]],
      [1n, [0, 0, 0, 0, 0, 0, 0, 0]],
    ]);
    const m = s.poll().length;
    s.send({ type: 'stop_interrupt_receiving', id: 10n, endpoint: 0x81 });
    expect(await s.reply('interrupt_receiving_status', m)).toMatchObject({ id: 10n, status: 0 });
    // Not an interrupt IN endpoint of this device: inval.
    const k = s.poll().length;
    s.send({ type: 'start_interrupt_receiving', id: 11n, endpoint: 0x82 });
    expect(await s.reply('interrupt_receiving_status', k)).toMatchObject({ id: 11n, status: 2 });
    // Isochronous streams and bulk streams are refused.
    s.send({ type: 'start_iso_stream', id: 12n, endpoint: 0x83, pktsPerUrb: 8, noUrbs: 2 });
    expect(await s.reply('iso_stream_status', k)).toMatchObject({ id: 12n, status: 2 });
    s.send({ type: 'alloc_bulk_streams', id: 13n, endpoints: 4, noStreams: 2 });
    expect(await s.reply('bulk_streams_status', k)).toMatchObject({ id: 13n, status: 2 });
  });

  it('answers a cancelled data packet with status cancelled', async () => {
    const s = await slotWithGuest();
    await UsbredirHost.attach(s.channel, await s.source.open('sim:keyboard'), { logger: silentLogger });
    const n = s.poll().length;
    // An interrupt IN as a guest-driven bulk-style transfer would wait for a report: cancel it.
    s.send({ type: 'bulk_packet', id: 20n, endpoint: 0x81, status: 0, length: 8, streamId: 0, data: new Uint8Array(0) });
    s.send({ type: 'cancel_data_packet', id: 20n });
    s.keyboard.press(0x05);
    expect(await s.reply('bulk_packet', n)).toMatchObject({ id: 20n, status: 1, length: 0 });
  });

  it('refuses a device the guest\'s filter blocks, with a sentence naming the filter and the device', async () => {
    const s = await slotWithGuest();
    s.send({ type: 'filter_filter', id: 0n, filter: '0x03,-1,-1,-1,0|-1,-1,-1,-1,1' });
    await waitUntil('the filter', () => s.channel.guestFilter !== null);
    const attach = UsbredirHost.attach(s.channel, await s.source.open('sim:keyboard'), { logger: silentLogger });
    await expect(attach).rejects.toThrow(UsbAttachError);
    await expect(attach).rejects.toThrow('the guest\'s USB filter (0x03,-1,-1,-1,0|-1,-1,-1,-1,1) does not let spicedesk spicedesk simulated keyboard (1209:0001) in: blocked by a rule');
    expect(s.channel.device).toBeNull();
    // The device was closed again: it opens.
    await expect(s.source.open('sim:keyboard')).resolves.toBeDefined();
  });

  it('detaches on the guest\'s filter_reject and on request: device_disconnect, then the ack frees the slot', async () => {
    const s = await slotWithGuest();
    const host = await UsbredirHost.attach(s.channel, await s.source.open('sim:keyboard'), { logger: silentLogger });
    const events: string[] = [];
    host.events.on('rejected', () => events.push('rejected'));
    host.events.on('disconnected', ({ error }) => events.push(`disconnected: ${error?.message ?? 'asked'}`));
    const n = s.poll().length;
    s.send({ type: 'filter_reject', id: 0n });
    await s.reply('device_disconnect', n);
    expect(host.state).toBe('disconnecting');
    s.send({ type: 'device_disconnect_ack', id: 0n });
    await waitUntil('the slot to be free', () => s.channel.device === null);
    expect(events).toEqual(['rejected', 'disconnected: the guest refused spicedesk spicedesk simulated keyboard (1209:0001): its USB filter does not allow it']);
    // The slot takes a device again (re-plug on the same channel).
    const again = await UsbredirHost.attach(s.channel, await s.source.open('sim:keyboard'), { logger: silentLogger });
    const m = s.poll().length;
    const detaching = again.detach();
    await s.reply('device_disconnect', m);
    s.send({ type: 'device_disconnect_ack', id: 0n });
    await detaching;
    expect(again.state).toBe('gone');
  });

  const fast = { settleQuietMs: 30, settleMaxMs: 1000, disconnectAckTimeoutMs: 150 };
  const getDescriptor = (id: bigint) => ({
    type: 'control_packet' as const, id, endpoint: 0x80, request: 6, requestType: 0x80, status: 0, value: 0x2200, index: 0, length: 64, data: new Uint8Array(0),
  });

  it('detach with the ack: requests of the guest before device_disconnect are answered with an I/O error, not dropped; "acknowledged"', async () => {
    const s = await slotWithGuest();
    const host = await UsbredirHost.attach(s.channel, await s.source.open('sim:keyboard'), { logger: silentLogger, ...fast });
    const asked = s.keyboard.requests.length;
    const n = s.poll().length;
    const detaching = host.detach();
    expect(host.state).toBe('settling');
    // The guest's driver still probing: its request is answered at once, without the device.
    s.send(getDescriptor(9n));
    await waitUntil('the answer to the request', () => s.poll().slice(n).some((p) => p.type === 'control_packet'));
    expect(s.poll().slice(n).find((p) => p.type === 'control_packet')).toMatchObject({ id: 9n, status: 3, length: 0 });
    expect(s.keyboard.requests.length).toBe(asked);
    await s.reply('device_disconnect', n);
    // device_disconnect only after the answer: the request was never open when QEMU detached.
    expect(s.types().slice(n)).toEqual(['control_packet', 'device_disconnect']);
    expect(host.state).toBe('disconnecting');
    s.send({ type: 'device_disconnect_ack', id: 0n });
    await expect(detaching).resolves.toBe('acknowledged');
    expect(host.state).toBe('gone');
    expect(s.channel.device).toBeNull();
    await expect(host.detach()).resolves.toBe('acknowledged');
  });

  it('detach without an ack in time: the slot is reset (resetSlot), "slot-reset"; an ack that comes later changes nothing', async () => {
    const s = await slotWithGuest();
    const resets: string[] = [];
    const resetSlot = async (channel: typeof s.channel): Promise<boolean> => {
      resets.push(channel.name);
      // The channel stays open here, as if relinking took a while: a late ack must do no harm.
      return true;
    };
    const host = await UsbredirHost.attach(s.channel, await s.source.open('sim:keyboard'), { logger: silentLogger, resetSlot, ...fast });
    const events: string[] = [];
    host.events.on('disconnected', ({ error }) => events.push(`disconnected: ${error?.message ?? 'asked'}`));
    const n = s.poll().length;
    const detaching = host.detach();
    await s.reply('device_disconnect', n);
    await expect(detaching).resolves.toBe('slot-reset');
    expect(resets).toEqual([s.channel.name]);
    expect(host.slotBack).toBe(true);
    expect(events).toEqual(['disconnected: asked']);
    expect(s.channel.device).toBeNull();
    // The late ack: the slot has no device, so it is dropped; the slot takes a new device.
    s.send({ type: 'device_disconnect_ack', id: 0n });
    const again = await UsbredirHost.attach(s.channel, await s.source.open('sim:keyboard'), { logger: silentLogger, ...fast });
    expect(again.state).toBe('connected');
    expect(host.state).toBe('gone');
  });

  it('detach without an ack and without resetSlot closes the slot\'s channel (closing it detaches the device in QEMU)', async () => {
    const s = await slotWithGuest();
    const host = await UsbredirHost.attach(s.channel, await s.source.open('sim:keyboard'), { logger: silentLogger, ...fast });
    await expect(host.detach()).resolves.toBe('slot-reset');
    expect(host.slotBack).toBe(false);
    expect(s.channel.state).toBe('closed');
  });

  it('detach on a server without the ack cap: "sent" once device_disconnect is written', async () => {
    const s = await slotWithGuest(0xff & ~(1 << 3));
    const host = await UsbredirHost.attach(s.channel, await s.source.open('sim:keyboard'), { logger: silentLogger, ...fast });
    const n = s.poll().length;
    await expect(host.detach()).resolves.toBe('sent');
    expect(s.types().slice(n)).toEqual(['device_disconnect']);
    expect(s.channel.device).toBeNull();
  });

  it('detach waits while the guest keeps asking (each answered with an error), at most settleMaxMs', async () => {
    const s = await slotWithGuest(0xff & ~(1 << 3));
    const host = await UsbredirHost.attach(s.channel, await s.source.open('sim:keyboard'), { logger: silentLogger, settleQuietMs: 100, settleMaxMs: 400 });
    const n = s.poll().length;
    const started = Date.now();
    const detaching = host.detach();
    let id = 20n;
    // A guest that never stops asking: one request every 20 ms, each answered.
    const asking = setInterval(() => s.send(getDescriptor(id++)), 20);
    try {
      await expect(detaching).resolves.toBe('sent');
    } finally {
      clearInterval(asking);
    }
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
    const out = s.types().slice(n);
    expect(out.at(-1)).toBe('device_disconnect');
    expect(out.filter((t) => t === 'control_packet').length).toBeGreaterThanOrEqual(5);
  });

  it('releases the device when the channel fails', async () => {
    const s = await slotWithGuest();
    const host = await UsbredirHost.attach(s.channel, await s.source.open('sim:keyboard'), { logger: silentLogger });
    const lying = new Uint8Array(16);
    new DataView(lying.buffer).setUint32(0, 101, true);
    new DataView(lying.buffer).setUint32(4, 0x7fffffff, true);
    s.transport.feed(miniMessage(101, lying));
    await waitUntil('the device to be released', () => host.state === 'gone');
    await expect(s.source.open('sim:keyboard')).resolves.toBeDefined();
  });
});
