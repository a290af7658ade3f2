// Records the fuzzer's traffic seeds (test/fuzz/traffic/<server>-<channel>.bin.gz): a real
// session of spicedesk's own CLI with Xspice (a desktop with text, a logo and an image, the
// guest agent: resize, clipboard, pointer and keys; `info` first, which links every channel) and one with QEMU (firmware screen, audio,
// usbredir and WebDAV channels), through test/peers/spice-relay.ts, which hands over every
// server message per channel. Run with `npm run fuzz:record`; it replaces the files.
// Messages larger than MAX_MESSAGE_BYTES are left out and each channel stops at
// MAX_CHANNEL_BYTES, so the seeds stay small and each fuzz case quick.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { photoLikeImage, showImage, showXlogo, showXterm, solidBackground } from '../peers/desktop.ts';
import { startQemu } from '../peers/qemu.ts';
import { startSpiceRelay, type RelayedChannel, type RelayedMessage } from '../peers/spice-relay.ts';
import { startXspice } from '../peers/xspice.ts';
import { repoRoot, trafficDir } from './harness/paths.ts';

const MAX_MESSAGE_BYTES = 48 * 1024;
const MAX_CHANNEL_BYTES = 160 * 1024;

const channelNames: Record<number, string> = { 1: 'main', 2: 'display', 3: 'inputs', 4: 'cursor', 5: 'playback', 6: 'record', 8: 'smartcard', 9: 'usbredir', 10: 'port', 11: 'webdav' };

class Recording {
  private readonly streams = new Map<string, Buffer[]>();
  private readonly sizes = new Map<string, number>();
  skipped = 0;

  /** The relay hook: keeps the message (id 0 of each channel type only) and relays it unchanged. */
  fromServer = (channel: RelayedChannel, message: RelayedMessage): undefined => {
    const name = channelNames[channel.type];
    if (!name || channel.id !== 0) return undefined;
    const size = this.sizes.get(name) ?? 0;
    if (message.body.byteLength > MAX_MESSAGE_BYTES || size + 6 + message.body.byteLength > MAX_CHANNEL_BYTES) {
      this.skipped++;
      return undefined;
    }
    const header = Buffer.alloc(6);
    header.writeUInt16LE(message.type, 0);
    header.writeUInt32LE(message.body.byteLength, 2);
    const list = this.streams.get(name) ?? [];
    list.push(header, Buffer.from(message.body));
    this.streams.set(name, list);
    this.sizes.set(name, size + 6 + message.body.byteLength);
    return undefined;
  };

  write(server: string): void {
    for (const [name, parts] of this.streams) {
      const file = join(trafficDir, `${server}-${name}.bin.gz`);
      const raw = Buffer.concat(parts);
      writeFileSync(file, gzipSync(raw, { level: 9 }));
      process.stdout.write(`${file}: ${raw.byteLength} bytes of ${name} messages\n`);
    }
  }
}

const cli = join(repoRoot, 'bin/spicedesk.cjs');

/** `info` links every channel the server lists (cursor, audio, usbredir, ports); `do` only what it needs. */
async function spicedesk(command: 'info' | 'do', url: string, actions: string[] = []): Promise<void> {
  await promisify(execFile)(process.execPath, [cli, command, '--timeout', '20', url, ...actions], { timeout: 90_000 });
}

async function recordXspice(scratch: string): Promise<void> {
  const xspice = await startXspice({ vdagent: true });
  const recording = new Recording();
  const relay = await startSpiceRelay({ port: xspice.port }, { fromServer: recording.fromServer });
  try {
    await solidBackground(xspice, '#336699');
    await showXterm(xspice);
    await showXlogo(xspice);
    await showImage(xspice, photoLikeImage(160, 120, 7), { x: 300, y: 300 });
    await spicedesk('info', relay.url);
    await spicedesk('do', relay.url, [
      'wait', '1',
      'resize', '640x480',
      'wait', '1.5',
      'move', '40', '40',
      'click',
      'type', 'echo fuzz\n',
      'move', '500', '100',
      'clip-set', 'from the client',
      'wait', '1',
      'capture', join(scratch, 'xspice.png'),
    ]);
    recording.write('xspice');
  } finally {
    await relay.close();
    await xspice.stop();
  }
}

async function recordQemu(scratch: string): Promise<void> {
  const qemu = await startQemu({ audio: true, usbredir: 1, webdav: true, agentPort: true, uuid: '12345678-9abc-def0-1234-56789abcdef0' });
  const recording = new Recording();
  const relay = await startSpiceRelay({ port: qemu.port }, { fromServer: recording.fromServer });
  try {
    await spicedesk('info', relay.url);
    await spicedesk('do', relay.url, ['wait', '4', 'move', '10', '10', 'type', 'a', 'capture', join(scratch, 'qemu.png')]);
    recording.write('qemu');
  } finally {
    await relay.close();
    await qemu.stop();
  }
}

async function main(): Promise<void> {
  mkdirSync(trafficDir, { recursive: true });
  for (const f of readdirSync(trafficDir)) if (f.endsWith('.bin.gz')) rmSync(join(trafficDir, f));
  const scratch = mkdtempSync(join(tmpdir(), 'spicedesk-record-'));
  try {
    await recordXspice(scratch);
    await recordQemu(scratch);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`fuzz:record: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
