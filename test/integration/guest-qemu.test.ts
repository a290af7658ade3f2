// The guest peer itself (test/peers/guest.ts): a Linux guest under QEMU, built from the host's
// Debian packages, driven over its serial console. Each describe boots one guest for its tests.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait.ts';
import { buildGuestImage, guestImageInputs, startGuest, type Guest, type StartGuestOptions } from '../peers/guest.ts';
import { hostKernel } from '../peers/guest/image.ts';
import { runToCompletion } from '../peers/processes.ts';
import { requireTool } from '../peers/require-tool.ts';
import { linkRawChannel, linkRawSession, type RawChannel } from '../peers/raw-channel.ts';

const BOOT_TIMEOUT_MS = 180_000;
const md5 = (data: Uint8Array): string => createHash('md5').update(data).digest('hex');

describe('the guest image builder', () => {
  it('names the Debian package of what is missing', () => {
    expect(() => buildGuestImage({ tools: [{ name: 'spicedesk-no-such-tool', debianPackage: 'spicedesk-no-such-package' }] }))
      .toThrow(/spicedesk-no-such-tool is not installed: run `apt-get install spicedesk-no-such-package`/);
    expect(() => buildGuestImage({ modules: ['spicedesk_no_such_module'] })).toThrow(/spicedesk_no_such_module.*linux-image-amd64/s);
    expect(() => buildGuestImage({ tools: ['spicedesk-unknown-tool'] })).toThrow(/say which Debian package provides it/);
  });

  it('lists the HDA modules with their dependencies, the generic codec before snd-hda-intel', () => {
    const order = buildGuestImage(guestImageInputs({ devices: ['audio'] })).moduleOrder.map((path) => path.replace(/^.*\/|\.ko$/g, ''));
    expect(new Set(order).size).toBe(order.length);
    for (const [first, then] of [['soundcore', 'snd'], ['snd', 'snd-pcm'], ['snd-hda-codec', 'snd-hda-codec-generic'], ['snd-hda-codec-generic', 'snd-hda-intel']]) {
      expect(order.indexOf(first), `${first} before ${then} in ${order.join(' ')}`).toBeGreaterThanOrEqual(0);
      expect(order.indexOf(first), `${first} before ${then} in ${order.join(' ')}`).toBeLessThan(order.indexOf(then));
    }
  });
});

describe('a guest with no devices', () => {
  const options: StartGuestOptions = { files: { '/etc/greeting': 'hello from the image\n' } };
  let guest: Guest;
  beforeAll(async () => {
    guest = await startGuest(options);
    console.log(`guest: image ${guest.image.fromCache ? 'from the cache' : 'built'} in ${guest.image.elapsedMs} ms, ${guest.image.initrdBytes} bytes; booted in ${guest.bootMs} ms`);
  }, BOOT_TIMEOUT_MS);
  afterAll(async () => {
    await guest?.stop();
  });

  it('runs the host kernel and returns a command\'s output and status 0', async () => {
    const result = await guest.run('uname -r');
    expect(result).toEqual({ output: `${hostKernel().version}\n`, status: 0 });
    expect(await guest.run('cat /etc/greeting')).toEqual({ output: 'hello from the image\n', status: 0 });
  });

  it('returns a failing command\'s status and its stderr', async () => {
    expect((await guest.run('false')).status).toBe(1);
    expect(await guest.run('echo "it\'s \\"quoted\\""; echo oops >&2; exit 7')).toEqual({ output: 'it\'s "quoted"\noops\n', status: 7 });
    expect((await guest.run('no-such-command')).status).toBe(127);
  });

  it('reads a guest file byte for byte through the file port', async () => {
    const made = await guest.run('dd if=/dev/urandom of=/tmp/random bs=1024 count=600 2>/dev/null && md5sum /tmp/random');
    expect(made.status, made.output).toBe(0);
    const started = Date.now();
    const data = await guest.readFile('/tmp/random');
    const ms = Date.now() - started;
    console.log(`guest readFile: ${data.length} bytes in ${ms} ms (${Math.round(data.length / ms)} KB/s)`);
    expect(data.length).toBe(600 * 1024);
    expect(md5(data)).toBe(made.output.split(' ')[0]);
    await expect(guest.readFile('/no/such/file')).rejects.toThrow(/cannot read \/no\/such\/file/);
  });

  it('writes a guest file byte for byte through the file port', async () => {
    const data = randomBytes(64 * 1024);
    const started = Date.now();
    await guest.writeFile('/tmp/written', data);
    console.log(`guest writeFile: ${data.length} bytes in ${Date.now() - started} ms`);
    expect(await guest.run('md5sum /tmp/written')).toEqual({ output: `${md5(data)}  /tmp/written\n`, status: 0 });
  });

  it('runs a command in the background while others run, then gives its output and status', async () => {
    await guest.run('rm -f /tmp/go');
    const background = await guest.spawn('while [ ! -e /tmp/go ]; do usleep 10000; done; echo finished; exit 5');
    expect(background.pid).toBeGreaterThan(1);
    // It is still waiting: the console is free for other commands meanwhile.
    expect(await guest.run(`kill -0 ${background.pid} && echo running`)).toEqual({ output: 'running\n', status: 0 });
    await guest.run('touch /tmp/go');
    expect(await background.wait({ timeoutMs: 20_000 })).toEqual({ output: 'finished\n', status: 5 });
  });

  it('kill() ends the command and what it started, not only a shell around it, and the console goes on', async () => {
    // A shell running a child that would outlive it: the kill must reach the child (sleep) too.
    const long = await guest.spawn('sleep 300; echo never');
    await waitFor('the spawned sleep to run', async () => ((await guest.run('ps')).output.includes('sleep 300') ? true : undefined), 10_000, { pollMs: 100 });
    await long.kill();
    expect(await long.wait({ timeoutMs: 10_000 })).toEqual({ output: '', status: 128 + 15 });
    // Nothing of it is left running, and the console takes commands.
    expect((await guest.run('ps')).output).not.toContain('sleep 300');
    expect(await guest.run('echo still here')).toEqual({ output: 'still here\n', status: 0 });
    // A plain command (no shell of its own around it) ends the same way, with the signal asked for.
    const plain = await guest.spawn('sleep 301');
    await waitFor('the second sleep to run', async () => ((await guest.run('ps')).output.includes('sleep 301') ? true : undefined), 10_000, { pollMs: 100 });
    await plain.kill('KILL');
    expect((await plain.wait({ timeoutMs: 10_000 })).status).toBe(128 + 9);
    expect((await guest.run('ps')).output).not.toContain('sleep 301');
  });

  it('takes a long command line whole while a background command ends', async () => {
    // The background command ends while the guest still reads the next line (16 KB at the UART's
    // pace): its SIGCHLD must not reach the shell that reads the commands.
    const padding = 'x'.repeat(16 * 1024);
    for (let round = 0; round < 3; round++) {
      await guest.spawn('usleep 30000');
      expect(await guest.run(`: ${padding}; echo whole`)).toEqual({ output: 'whole\n', status: 0 });
    }
  });

  it('a second build of the same image comes from the cache; a fresh cache builds it', () => {
    const again = buildGuestImage(guestImageInputs(options));
    expect(again.fromCache).toBe(true);
    expect(again.key).toBe(guest.image.key);
    expect(again.initrd).toBe(guest.image.initrd);
    const saved = process.env.SPICEDESK_GUEST_CACHE;
    const fresh = mkdtempSync(join(tmpdir(), 'spicedesk-guest-cache-'));
    process.env.SPICEDESK_GUEST_CACHE = fresh;
    try {
      const cold = buildGuestImage(guestImageInputs(options));
      const warm = buildGuestImage(guestImageInputs(options));
      console.log(`guest image: cold build ${cold.elapsedMs} ms, cached ${warm.elapsedMs} ms`);
      expect([cold.fromCache, warm.fromCache]).toEqual([false, true]);
      expect(cold.key).toBe(guest.image.key);
      expect(md5(readFileSync(cold.initrd))).toBe(md5(readFileSync(guest.image.initrd)));
      const other = buildGuestImage({ ...guestImageInputs(options), initScript: 'echo another image\n' });
      expect(other.fromCache).toBe(false);
      expect(other.key).not.toBe(cold.key);
    } finally {
      if (saved === undefined) delete process.env.SPICEDESK_GUEST_CACHE;
      else process.env.SPICEDESK_GUEST_CACHE = saved;
      rmSync(fresh, { recursive: true, force: true });
    }
  });

  it('powers off: QEMU exits', async () => {
    await guest.powerOff();
    expect(guest.qemu.running()).toBe(false);
    expect(await guest.qemu.exited).toBe(0);
  });
});

describe('a guest with audio', () => {
  const PLAYBACK = 5;
  const PLAYBACK_DATA = 101;
  const PLAYBACK_START = 103;
  const PLAYBACK_STOP = 104;
  let work: string | undefined;
  let guest: Guest;
  const channels: RawChannel[] = [];

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'spicedesk-guest-audio-'));
    const sox = requireTool('sox', 'sox');
    const tone = join(work, 'tone.wav');
    const made = await runToCompletion(sox, ['-n', '-r', '48000', '-c', '2', '-b', '16', '-e', 'signed-integer', tone, 'synth', '1', 'sine', '660', 'gain', '-6']);
    expect(made.code, made.stderr).toBe(0);
    guest = await startGuest({ devices: ['audio'], files: { '/tone.wav': readFileSync(tone) } });
    console.log(`audio guest: booted in ${guest.bootMs} ms`);
  }, BOOT_TIMEOUT_MS);
  afterAll(async () => {
    for (const channel of channels) channel.close();
    await guest?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('aplay -l lists the HDA card', async () => {
    const cards = await guest.run('aplay -l');
    expect(cards.status, cards.output).toBe(0);
    expect(cards.output).toMatch(/card 0: Intel \[HDA Intel\], device 0: Generic Analog/);
  });

  it('aplay of a tone exits 0 and a connected client gets PLAYBACK_START, the samples and STOP', async () => {
    // A bare client (no OPUS cap: raw samples) on the playback channel; QEMU sends START only
    // while a client is connected to it.
    const { main, sessionId } = await linkRawSession(guest.port);
    channels.push(main);
    const playback = await linkRawChannel(guest.port, { connectionId: sessionId, type: PLAYBACK, id: 0 });
    channels.push(playback);
    const played = await guest.run('aplay -q -D plughw:0,0 /tone.wav', { timeoutMs: 30_000 });
    expect(played).toEqual({ output: '', status: 0 });
    const types = (): string => playback.messages.map((m) => m.type).join(',');
    await waitFor('PLAYBACK_STOP', () => playback.messages.find((m) => m.type === PLAYBACK_STOP), 10_000, { explain: types });
    const start = playback.messages.find((m) => m.type === PLAYBACK_START);
    expect(start, types()).toBeDefined();
    expect({ channels: start!.body.readUInt32LE(0), format: start!.body.readUInt16LE(4), frequency: start!.body.readUInt32LE(6) })
      .toEqual({ channels: 2, format: 1, frequency: 48000 });
    // DATA: u32 time, then S16LE stereo. A 1 s tone at -6 dB: most of a second of loud samples.
    const samples = playback.messages.filter((m) => m.type === PLAYBACK_DATA).map((m) => m.body.subarray(4));
    const frames = samples.reduce((sum, s) => sum + s.length / 4, 0);
    let peak = 0;
    for (const s of samples) for (let i = 0; i + 1 < s.length; i += 2) peak = Math.max(peak, Math.abs(s.readInt16LE(i)));
    console.log(`audio guest: ${samples.length} DATA messages, ${frames} frames, peak ${peak}`);
    expect(frames).toBeGreaterThanOrEqual(0.8 * 48000);
    expect(peak).toBeGreaterThan(0.3 * 32767);
  });
});
