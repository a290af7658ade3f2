// The audio bench's "chromium-floor" client (AUDIO_BENCH_FLOOR=1): floor/audio.html (floor-page.ts)
// playing the bench's sound from an AudioWorklet into the bench's PulseAudio, with no server and
// no decoding. Its CPU (Chromium's processes and pulseaudio, as every row counts it) is
// what Chromium itself costs any page to play sound, set against remote-viewer's whole client.
import { sleep, waitUntil } from '../helpers/wait.ts';
import type { PulseServer } from './audio-peers.ts';
import { clientCpuBetween, readClientCpu, sum } from './client-cpu.ts';
import { openFloorPage } from './floor-page.ts';

export interface AudioFloorSample {
  seconds: number;
  cpuSeconds: number;
  cpuByPart: Record<string, number>;
  cpuByThread: Record<string, number>;
}

/** Plays the floor page for `warmUpMs`, then reads its CPU over `windowMs`. */
export async function measureAudioFloor(root: string, pulse: PulseServer, o: { warmUpMs: number; windowMs: number; timeoutMs: number }): Promise<AudioFloorSample> {
  const page = await openFloorPage(root, 'audio.html', { unmuted: true });
  try {
    const state = async (): Promise<{ state: string; error: string | null }> => page.tab.evaluate(() => (window as unknown as { floor: { state: string; error: string | null } }).floor);
    await waitUntil('the floor page to play into the sound server', async () => {
      page.check();
      const s = await state();
      if (s.error) throw new Error(`the floor page audio.html could not play: ${s.error}`);
      return s.state === 'running' && (await pulse.sinkInputs()) > 0;
    }, o.timeoutMs);
    await sleep(o.warmUpMs);
    const roots = [
      { pid: page.browserPid, part: 'chromium' },
      { pid: pulse.process.pid, part: 'pulseaudio' },
    ];
    const before = readClientCpu(roots);
    const started = performance.now();
    await sleep(o.windowMs);
    const after = readClientCpu(roots);
    const seconds = (performance.now() - started) / 1000;
    page.check();
    const { byPart, byThread } = clientCpuBetween(before, after);
    return { seconds, cpuSeconds: sum(byPart), cpuByPart: byPart, cpuByThread: byThread };
  } finally {
    await page.close();
  }
}
