import { describe, expect, it } from 'vitest';
import { AgentCap, AgentMsg, ClipboardType } from '../../../../../src/protocol/channels/main/agent/agent-messages.ts';
import { AgentClipboard, textForGuest, textFromGuest } from '../../../../../src/protocol/channels/main/agent/clipboard.ts';
import { fakeLink, u32s } from './fake-link.ts';
import { drainQueuedWork } from '../../../../helpers/wait.ts';

const ALL = [AgentCap.CLIPBOARD_BY_DEMAND, AgentCap.CLIPBOARD_SELECTION, AgentCap.CLIPBOARD_GRAB_SERIAL];
const text = (s: string) => new TextEncoder().encode(s);
/** selection prefix (selection, 3 reserved) as u32 little endian. */
const sel = (s: number) => s;

describe('clipboard', () => {
  it('grabs with the selection prefix and a serial counting per selection', async () => {
    const link = fakeLink(ALL);
    const cb = new AgentClipboard(link);
    await cb.setText('a');
    await cb.setText('b', 1);
    await cb.setText('c');
    expect(link.sent.map((m) => m.type)).toEqual([AgentMsg.CLIPBOARD_GRAB, AgentMsg.CLIPBOARD_GRAB, AgentMsg.CLIPBOARD_GRAB]);
    expect(link.sent.map((m) => Buffer.from(m.body).toString('hex'))).toEqual([
      Buffer.from(u32s(sel(0), 0, 1)).toString('hex'),
      Buffer.from(u32s(sel(1), 0, 1)).toString('hex'),
      Buffer.from(u32s(sel(0), 1, 1)).toString('hex'),
    ]);
  });

  it('drops a guest grab whose serial crossed ours, accepts the matching one', async () => {
    const link = fakeLink(ALL);
    const cb = new AgentClipboard(link);
    const grabs: number[][] = [];
    cb.events.on('guest-grab', (g) => grabs.push(g.types));
    await cb.setText('mine'); // serial 0 used by us; next expected from the guest is 1
    cb.handleGrab(u32s(0, 0, ClipboardType.UTF8_TEXT));
    expect(grabs).toEqual([]);
    cb.handleGrab(u32s(0, 1, ClipboardType.IMAGE_PNG, ClipboardType.UTF8_TEXT));
    expect(grabs).toEqual([[ClipboardType.IMAGE_PNG, ClipboardType.UTF8_TEXT]]);
    expect(cb.guestTypes(0)).toEqual([ClipboardType.IMAGE_PNG, ClipboardType.UTF8_TEXT]);
  });

  it('answers a guest request with its text converted to CRLF for a CRLF guest', async () => {
    const link = fakeLink([...ALL, AgentCap.GUEST_LINEEND_CRLF]);
    const cb = new AgentClipboard(link);
    await cb.setText('one\ntwo\r\nthree');
    cb.handleRequest(u32s(0, ClipboardType.UTF8_TEXT));
    await drainQueuedWork();
    const reply = link.sent[1];
    expect(reply.type).toBe(AgentMsg.CLIPBOARD);
    expect(Buffer.from(reply.body).toString('hex')).toBe(Buffer.concat([Buffer.from(u32s(0, 1)), Buffer.from('one\r\ntwo\r\nthree')]).toString('hex'));
  });

  it('answers a request it cannot serve, or one over the limit, with empty data', async () => {
    const link = fakeLink(ALL);
    const cb = new AgentClipboard(link);
    cb.maxClipboard = 3;
    await cb.setText('too long');
    cb.handleRequest(u32s(0, ClipboardType.UTF8_TEXT));
    cb.handleRequest(u32s(1, ClipboardType.UTF8_TEXT));
    await drainQueuedWork();
    expect(link.sent.slice(1).map((m) => Buffer.from(m.body).toString('hex')).sort()).toEqual([
      Buffer.from(u32s(0, 1)).toString('hex'),
      Buffer.from(u32s(1, 1)).toString('hex'),
    ]);
  });

  it('requests the guest text and resolves with its data, LF line ends and no trailing NUL', async () => {
    const link = fakeLink([...ALL, AgentCap.GUEST_LINEEND_CRLF]);
    const cb = new AgentClipboard(link);
    cb.handleGrab(u32s(0, 0, ClipboardType.UTF8_TEXT));
    const got = cb.requestText();
    await drainQueuedWork();
    expect(Buffer.from(link.sent[0].body).toString('hex')).toBe(Buffer.from(u32s(0, ClipboardType.UTF8_TEXT)).toString('hex'));
    cb.handleData(new Uint8Array([...u32s(0, ClipboardType.UTF8_TEXT), ...text('a\r\nb\0')]));
    expect(await got).toBe('a\nb');
  });

  it('fails a pending request when the guest releases or answers NONE', async () => {
    const cb = new AgentClipboard(fakeLink(ALL));
    cb.handleGrab(u32s(0, 0, ClipboardType.UTF8_TEXT));
    const released = expect(cb.request(ClipboardType.UTF8_TEXT)).rejects.toThrow(/emptied it/);
    cb.handleRelease(u32s(0));
    await released;
    cb.handleGrab(u32s(0, 1, ClipboardType.UTF8_TEXT));
    const refused = expect(cb.request(ClipboardType.UTF8_TEXT)).rejects.toThrow(/could not give/);
    cb.handleData(u32s(0, ClipboardType.NONE));
    await refused;
  });

  it('without the selection cap: no prefix, and PRIMARY is refused', async () => {
    const link = fakeLink([AgentCap.CLIPBOARD_BY_DEMAND]);
    const cb = new AgentClipboard(link);
    await cb.setText('x');
    expect(Buffer.from(link.sent[0].body).toString('hex')).toBe(Buffer.from(u32s(ClipboardType.UTF8_TEXT)).toString('hex'));
    await expect(cb.setText('x', 1)).rejects.toThrow(/no PRIMARY selection/);
  });

  it('turning sharing off applies at once: our grab released, guest contents forgotten', async () => {
    const link = fakeLink(ALL);
    const cb = new AgentClipboard(link);
    await cb.setText('mine', 1);
    cb.handleGrab(u32s(0, 0, ClipboardType.UTF8_TEXT));
    const pending = expect(cb.request(ClipboardType.UTF8_TEXT)).rejects.toThrow(/turned off/);
    cb.setSharing({ toGuest: false, fromGuest: false });
    await drainQueuedWork();
    expect(link.sent.some((m) => m.type === AgentMsg.CLIPBOARD_RELEASE && m.body[0] === 1)).toBe(true);
    await pending;
    expect(cb.guestTypes(0)).toBeNull();
    await expect(cb.setText('again')).rejects.toThrow(/to the guest is turned off/);
  });

  it('converts line ends both ways', () => {
    expect(Buffer.from(textForGuest('a\r\nb\nc', false)).toString()).toBe('a\nb\nc');
    expect(Buffer.from(textForGuest('a\nb', true)).toString()).toBe('a\r\nb');
    expect(textFromGuest(text('x\r\ny'), false)).toBe('x\r\ny');
  });
});
