// Targets that are not channels: the link reply, the bridge codecs (both directions: the page is
// outside input to the host, the host to the page), .vv files and URIs, PNG input and the guest's
// clipboard images.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync, crc32 } from 'node:zlib';
import { decodeHostPacket, encodeHostMessage, encodeHostPacket } from '../../../src/protocol/bridge/host-codec.ts';
import type { HostMessage, UiMessage } from '../../../src/protocol/bridge/bridge-messages.ts';
import { BRIDGE_VERSION } from '../../../src/protocol/bridge/kinds.ts';
import { decodeUiMessage, encodeUiMessage } from '../../../src/protocol/bridge/ui-codec.ts';
import { performLink } from '../../../src/protocol/link/link.ts';
import { CapSet } from '../../../src/protocol/link/caps.ts';
import { ClipboardType } from '../../../src/protocol/channels/main/agent/agent-messages.ts';
import { parseSpiceUri, parseVvBytes } from '../../../src/protocol/profile/index.ts';
import { ByteQueue } from '../../../src/protocol/wire/byte-queue.ts';
import { WireWriter } from '../../../src/protocol/wire/writer.ts';
import { guestImageToPng } from '../../../src/main/clipboard/guest-image.ts';
import { decodePng, PngError } from '../../../src/main/node/png-decode.ts';
import { nodeTicketCrypto } from '../../../src/main/node/ticket-crypto.ts';
import { isSpiceError } from '../../../src/protocol/wire/errors.ts';
import { linkReply } from '../../helpers/fake-link-server.ts';
import { MemoryTransport } from '../../helpers/memory-transport.ts';
import type { FuzzTarget } from '../harness/fuzz-target.ts';
import { clipboardDir } from '../harness/paths.ts';

const encoder = new TextEncoder();
const text = (s: string): Uint8Array => encoder.encode(s);

/** The link reply and the link result after it, as one input: the client reads what it needs. */
const linkTarget: FuzzTarget = {
  name: 'link-reply',
  what: 'the link stage: the server link reply (header, key, capabilities) and the link result',
  shape: 'bytes',
  seeds: () => [
    new Uint8Array([...linkReply({}), 0, 0, 0, 0]),
    new Uint8Array([...linkReply({ commonCaps: [0b1011, 1], channelCaps: [0xffffffff, 3] }), 0, 0, 0, 0]),
    new Uint8Array([...linkReply({ replyError: 7 })]),
    new Uint8Array([...linkReply({}), 7, 0, 0, 0]),
  ],
  quickCases: 1500,
  async run(input) {
    const transport = new MemoryTransport();
    const queue = new ByteQueue(transport, 'main channel');
    transport.feed(input);
    transport.end();
    await performLink(queue, transport, { connectionId: 0, channelType: 1, channelId: 0, channelCaps: new CapSet(), password: 'secret', crypto: nodeTicketCrypto, where: 'fuzz' });
  },
};

const body = Uint8Array.from({ length: 40 }, (_, i) => i);
const hostSamples: HostMessage[] = [
  { kind: 'hello', version: BRIDGE_VERSION },
  { kind: 'status', status: { state: 'connecting', where: '127.0.0.1:5900' } },
  { kind: 'status', status: { state: 'connected', serverName: 'Xspice — ünïcode', channels: [{ type: 1, id: 0 }, { type: 2, id: 0 }, { type: 4, id: 1 }] } },
  { kind: 'status', status: { state: 'error', errorKind: 'auth', message: 'the server refused the password' } },
  { kind: 'status', status: { state: 'closed', reason: 'bye' } },
  { kind: 'display', channelId: 0, type: 302, serial: 123456789012n, body },
  { kind: 'cursor', channelId: 1, type: 101, serial: 1n, body: new Uint8Array(0) },
  { kind: 'mouse-mode', supported: 3, current: 2 },
  { kind: 'password-request', reason: 'the server refused the password (error 7)' },
  { kind: 'agent', connected: true, monitorsConfig: true, clipboard: false },
  { kind: 'clipboard-text', text: 'from the guest' },
  { kind: 'display-reset' },
  { kind: 'file-credit', id: 9, upTo: 2 ** 33 + 5 },
  { kind: 'file-progress', id: 9, sent: 65536 },
  { kind: 'file-result', id: 1, outcome: 'saved', message: 'saved in the guest' } as HostMessage,
  { kind: 'clipboard-image', png: Uint8Array.of(0x89, 0x50, 0x4e, 0x47) },
  { kind: 'clipboard-policy', toGuest: false, fromGuest: true },
];

const hostCodecTarget: FuzzTarget = {
  name: 'bridge-host',
  what: 'host -> page bridge packets (decoded by the page): every host message kind',
  shape: 'bytes',
  seeds: () => [encodeHostPacket(hostSamples.slice(0, 9).map(encodeHostMessage)), encodeHostPacket(hostSamples.slice(9).map(encodeHostMessage)), ...hostSamples.map((m) => encodeHostPacket([encodeHostMessage(m)]))],
  quickCases: 2500,
  run(input) {
    decodeHostPacket(input);
  },
};

const uiSamples: UiMessage[] = [
  { kind: 'hello', version: BRIDGE_VERSION, target: 3 },
  { kind: 'key-down', scancode: 0x1e },
  { kind: 'key-up', scancode: 0xe01d },
  { kind: 'key-modifiers', modifiers: 0b101 },
  { kind: 'mouse-position', x: 1023, y: 767, buttons: 1, displayId: 0 },
  { kind: 'mouse-motion', dx: -5, dy: 12, buttons: 0 },
  { kind: 'mouse-press', button: 1, buttons: 1 },
  { kind: 'mouse-release', button: 7, buttons: 0 },
  { kind: 'ctrl-alt-del' },
  { kind: 'password', password: 'pässwörd' },
  { kind: 'password-cancel' },
  { kind: 'display-size', width: 2559, height: 1371 },
  { kind: 'clipboard-text', text: 'line 1\nline 2 – ünïcode ✓' },
  { kind: 'clipboard-sharing', toGuest: true, fromGuest: false },
  { kind: 'mouse-mode-request', mode: 'server' },
  { kind: 'file-offer', id: 1, name: 'report ✓.pdf', size: 10 },
  { kind: 'file-data', id: 3, offset: 2 ** 40, data: new Uint8Array(16).fill(7) },
  { kind: 'file-cancel', id: 3 },
  { kind: 'clipboard-image', total: 1000, offset: 990, data: new Uint8Array(10).fill(1) },
];

const uiCodecTarget: FuzzTarget = {
  name: 'bridge-ui',
  what: 'page -> host bridge messages (decoded by the host; the gateway attack surface)',
  shape: 'bytes',
  seeds: () => uiSamples.map(encodeUiMessage),
  quickCases: 2500,
  run(input) {
    decodeUiMessage(input, BRIDGE_VERSION);
  },
};

const vvSeed = [
  '[virt-viewer]',
  'type=spice',
  'host=pvespiceproxy:65f1a2b3:100:pve1::4d2f0c8e1b9a7d6c5e4f3a2b1c0d9e8f',
  'port=5900',
  'tls-port=61000',
  'password=c2aF9kQ7xLm3Zp0V',
  'proxy=http://pve1.example.lan:3128',
  'title=VM 100 - debian',
  'delete-this-file=1',
  'secure-attention=Ctrl+Alt+Ins',
  'release-cursor=Ctrl+Alt+R',
  'toggle-fullscreen=Shift+F11',
  'host-subject=OU=PVE Cluster Node,O=Proxmox Virtual Environment,CN=pve1.example.lan',
  'ca=-----BEGIN CERTIFICATE-----\\nMIIBszCCAVmgAwIBAgIUX\\nQUJDREVGRw==\\n-----END CERTIFICATE-----\\n',
  'secure-channels=main;inputs;cursor;display',
  'disable-channels=usbredir;smartcard',
  'enable-usbredir=1',
  'usb-filter=-1,-1,-1,-1,0',
  'share-clipboard=true',
  'color-depth=24',
  'kiosk=false',
  'monitor-mapping=1:2;2:1',
  'hotkeys=release-cursor=ctrl+alt',
  'versions=linux:7.0;win:7.0',
  'newer-version-url=https://example.org/',
  '',
  '[ovirt]',
  'host=engine.example.org:443',
  'vm-guid=1234',
  'jsessionid=abcdef',
  'sso-token=sso-4f1c9a7b2e',
  'ca=-----BEGIN CERTIFICATE-----\\nQUJD\\n-----END CERTIFICATE-----\\n',
  '',
].join('\n');

const vvTarget: FuzzTarget = {
  name: 'vv',
  what: '.vv connection files (bytes to profile): keys, values, PEM blocks, versions, hotkeys',
  shape: 'text',
  seeds: () => [text(vvSeed), text('[virt-viewer]\r\ntype=spice\r\nhost=h\r\nport=5900\r\n'), text('[virt-viewer]\ntype=spice\nunix-path=/run/vm.sock\n# a comment\n; another\n')],
  dictionary: ['\n', '=', '[virt-viewer]', '[ovirt]', '\\n', '\\', '-----BEGIN CERTIFICATE-----', '-----END CERTIFICATE-----', '__proto__', 'constructor', 'toString', 'hasOwnProperty', 'type=', 'host=', 'port=', 'tls-port=', 'ca=', 'proxy=', 'versions=', 'hotkeys=', 'monitor-mapping=', 'ctrl+alt+', ';', ':', '[', ']', '0x', '-1', '99999999999999999999', 'é', '\r\n'],
  quickCases: 2500,
  run(input) {
    parseVvBytes(input);
  },
};

const uriTarget: FuzzTarget = {
  name: 'uri',
  what: 'spice://, spice+tls://, spice+unix://, ws:// and wss:// URIs',
  shape: 'text',
  seeds: () =>
    ['spice://host:5900', 'spice://user@[::1]:5900?tls-port=5901&password=x', 'spice+tls://h.example:5901?password=p%20w', 'spice+unix:///run/vm.sock', 'ws://127.0.0.1:8080/spice', 'wss://gw.example/path?x=1', 'spice://h?port=5900&tls-port=5901'].map(text),
  dictionary: ['spice://', 'spice+tls://', 'spice+unix://', 'ws://', 'wss://', '@', ':', '[', ']', '?', '&', '=', '%', '%00', '%zz', 'port=', 'tls-port=', 'password=', '__proto__', 'constructor', '65536', '0', '127.0i.0.1', '::ffff:1.2.3.4', '/', '#'],
  quickCases: 2500,
  run(input) {
    parseSpiceUri(new TextDecoder().decode(input));
  },
};

function pngChunk(type: string, data: Uint8Array): Uint8Array {
  const w = new WireWriter();
  const typeBytes = text(type);
  const crc = crc32(Buffer.concat([typeBytes, data]));
  const be = (v: number) => Uint8Array.of(v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
  w.bytes(be(data.byteLength)).bytes(typeBytes).bytes(data).bytes(be(crc));
  return w.finish();
}

/** A small PNG of each colour type and a few bit depths, with every filter type in its rows. */
function pngSeed(colourType: number, depth: number, width: number, height: number, extra: Uint8Array[] = [], compress = true): Uint8Array {
  const channels = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 }[colourType as 0 | 2 | 3 | 4 | 6];
  const rowBytes = Math.ceil((width * channels * depth) / 8);
  const raw = new Uint8Array((rowBytes + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (rowBytes + 1)] = y % 5;
    for (let x = 0; x < rowBytes; x++) raw[y * (rowBytes + 1) + 1 + x] = (x * 37 + y * 11) & 0xff;
  }
  const ihdr = new Uint8Array(13);
  const v = new DataView(ihdr.buffer);
  v.setUint32(0, width);
  v.setUint32(4, height);
  ihdr.set([depth, colourType, 0, 0, 0], 8);
  const sig = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);
  return Buffer.concat([sig, pngChunk('IHDR', ihdr), ...extra, pngChunk('IDAT', compress ? deflateSync(raw) : raw), pngChunk('IEND', new Uint8Array(0))]);
}

const pngTarget: FuzzTarget = {
  name: 'png',
  what: 'PNG input (`do expect` reference images): chunks, IHDR, palette, transparency, zlib, filters',
  shape: 'bytes',
  seeds: () => [
    pngSeed(6, 8, 5, 4),
    pngSeed(2, 16, 3, 3),
    pngSeed(0, 1, 9, 3, [pngChunk('tRNS', Uint8Array.of(0, 1))]),
    pngSeed(3, 4, 5, 5, [pngChunk('PLTE', Uint8Array.from({ length: 48 }, (_, i) => i * 5)), pngChunk('tRNS', Uint8Array.of(0, 128, 255))]),
    pngSeed(4, 8, 4, 2),
  ],
  quickCases: 1500,
  expected: (e) => e instanceof PngError,
  run(input) {
    decodePng(input);
  },
};

const imageTypes: Record<string, number> = { bmp: ClipboardType.IMAGE_BMP, tiff: ClipboardType.IMAGE_TIFF, jpg: ClipboardType.IMAGE_JPG, png: ClipboardType.IMAGE_PNG };

/**
 * Deflates the data of every IDAT chunk of `file` (walked as the decoder walks it; a file whose
 * chunks do not add up is returned as it is). Lets the png-pixels target keep its image data
 * uncompressed, so that mutations reach the filters and the pixel conversion instead of zlib.
 */
function deflateIdat(file: Uint8Array): Uint8Array {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const parts: Uint8Array[] = [file.subarray(0, 8)];
  let offset = 8;
  while (offset + 12 <= file.byteLength) {
    const length = view.getUint32(offset);
    const type = String.fromCharCode(...file.subarray(offset + 4, offset + 8));
    if (offset + 12 + length > file.byteLength) return file;
    const data = file.subarray(offset + 8, offset + 8 + length);
    parts.push(type === 'IDAT' ? pngChunk('IDAT', deflateSync(data)) : file.subarray(offset, offset + 12 + length));
    offset += 12 + length;
  }
  parts.push(file.subarray(offset));
  return Buffer.concat(parts);
}

/** The same PNGs with their IDAT data stored uncompressed (see deflateIdat). */
const pngPixelsTarget: FuzzTarget = {
  name: 'png-pixels',
  what: 'PNG input past zlib: row filters, bit depths, palettes and transparency (IDAT deflated by the harness)',
  shape: 'bytes',
  seeds: () => [
    pngSeed(6, 8, 5, 4, [], false),
    pngSeed(2, 16, 3, 3, [], false),
    pngSeed(0, 2, 9, 3, [pngChunk('tRNS', Uint8Array.of(0, 1))], false),
    pngSeed(3, 4, 5, 5, [pngChunk('PLTE', Uint8Array.from({ length: 48 }, (_, i) => i * 5)), pngChunk('tRNS', Uint8Array.of(0, 128, 255))], false),
    pngSeed(4, 16, 4, 2, [], false),
  ],
  quickCases: 1500,
  expected: (e) => e instanceof PngError,
  run(input) {
    decodePng(deflateIdat(input));
  },
};

/** The guest's clipboard image: the input's first byte picks the agent clipboard type. */
const guestImageTarget: FuzzTarget = {
  name: 'guest-image',
  what: "the guest's clipboard images (BMP, TIFF, JPEG, PNG) converted for the local clipboard",
  shape: 'bytes',
  seeds: () => {
    const files = readdirSync(clipboardDir).filter((n) => n.split('.').pop()! in imageTypes);
    return [...files.sort().map((n) => new Uint8Array([imageTypes[n.split('.').pop()!], ...readFileSync(join(clipboardDir, n))])), new Uint8Array([ClipboardType.IMAGE_PNG, ...pngSeed(6, 8, 5, 4)])];
  },
  quickCases: 300,
  run(input) {
    guestImageToPng(input[0] ?? 0, input.subarray(1));
  },
  expected: isSpiceError,
};

export const inputTargets: FuzzTarget[] = [linkTarget, hostCodecTarget, uiCodecTarget, vvTarget, uriTarget, pngTarget, pngPixelsTarget, guestImageTarget];
