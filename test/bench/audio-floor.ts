// The audio bench's "chromium-floor" client (AUDIO_BENCH_FLOOR=1): floor/audio.html in the bench's
// headless Chromium (served over HTTP: from a file: page, the worklet's module, a blob, does not
// load), playing the bench's sound from an AudioWorklet into the bench's PulseAudio, with no
// server and no decoding. Its CPU (Chromium's processes and pulseaudio, as every row counts it) is
// what Chromium itself costs any page to play sound, set against remote-viewer's whole client.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { launchChromium } from '../e2e/browser-page.ts';
import { chromiumPid } from '../helpers/proc-tree.ts';
import { sleep, waitUntil } from '../helpers/wait.ts';
import type { PulseServer } from './audio-peers.ts';
import { serveStaticFolder } from './bench-peers.ts';
import { clientCpuBetween, readClientCpu, sum } from './client-cpu.ts';

export interface AudioFloorSample {
  seconds: number;
  cpuSeconds: number;
  cpuByPart: Record<string, number>;
  cpuByThread: Record<string, number>;
}

/** Plays the floor page for `warmUpMs`, then reads its CPU over `windowMs`. */
export async function measureAudioFloor(root: string, pulse: PulseServer, o: { warmUpMs: number; windowMs: number; timeoutMs: number }): Promise<AudioFloorSample> {
  const folder = resolve(root, 'test/bench/floor');
  if (!existsSync(resolve(folder, 'audio.html'))) throw new Error(`${folder}/audio.html is missing; run the bench from the checkout`);
  const served = await serveStaticFolder(folder);
  const browser = await launchChromium(['--autoplay-policy=no-user-gesture-required'], { unmuted: true });
  try {
    const tab = await browser.newPage();
    const errors: string[] = [];
    tab.on('pageerror', (e) => errors.push(e.message));
    await tab.goto(`${served.origin}/audio.html`);
    const state = async (): Promise<{ state: string; error: string | null }> => tab.evaluate(() => (window as unknown as { floor: { state: string; error: string | null } }).floor);
    await waitUntil('the floor page to play into the sound server', async () => {
      const s = await state();
      if (s.error || errors.length) throw new Error(`the floor page failed: ${s.error ?? errors.join('; ')}`);
      return s.state === 'running' && (await pulse.sinkInputs()) > 0;
    }, o.timeoutMs);
    await sleep(o.warmUpMs);
    const roots = [
      { pid: chromiumPid(), part: 'chromium' },
      { pid: pulse.process.pid, part: 'pulseaudio' },
    ];
    const before = readClientCpu(roots);
    const started = performance.now();
    await sleep(o.windowMs);
    const after = readClientCpu(roots);
    const seconds = (performance.now() - started) / 1000;
    if (errors.length) throw new Error(`the floor page threw: ${errors.join('; ')}`);
    const { byPart, byThread } = clientCpuBetween(before, after);
    return { seconds, cpuSeconds: sum(byPart), cpuByPart: byPart, cpuByThread: byThread };
  } finally {
    await browser.close();
    served.server.close();
  }
}
