// The page's sound (a part, page-parts.ts): the guest's playback through the audio worklet, the
// microphone while the server records, the bar's mute button, volume slider and voice-cleanup
// switch, the notice that sound waits for a click or key (browsers start sound only after a user
// gesture) and the "microphone in use" indicator. While sound plays, the page's video clock and the
// host's session clock follow what is audible (audio/audio-clock.ts). Only head 1's window plays
// and records: the other heads' windows are views of the same session.
import { OPUS_RATES } from '../protocol/audio/audio-format.ts';
import { parseRecordMessage } from '../protocol/channels/record/record-messages.ts';
import type { PagePart } from './page-parts.ts';
import { AudioClockFollower, audibleTime } from './audio/audio-clock.ts';
import { AudioOutput, type SoundGate } from './audio/audio-output.ts';
import { Microphone, type MicrophoneState } from './audio/microphone.ts';
import { PagePlayback, type PlaybackControl } from './audio/page-playback.ts';
import { endsSound, WorkerPlaybackProxy } from './audio/worker-playback.ts';
import type { OutputStallStats } from './audio/output-stalls.ts';
import type { PlayoutStats } from './audio/playout.ts';

/** Position reports kept for a test's A/V sync log (about 3.4 minutes at one per ~50 ms). */
const MAX_HEARD_LOG = 4096;

/** The sound's position when it reaches the listener: DATA.time `mm` (ms, unwrapped) is heard at `at` (ms since the epoch). */
export interface HeardPosition {
  mm: number;
  at: number;
  /** When the report was taken (ms since the epoch), and at that instant: the mm time the page took as audible (by the output's latency) and the video clock's (unwrapped ms). */
  reportAt: number;
  audible: number;
  display: number;
}

/** Most tapped output kept for a test (about 10 s of stereo at 48 kHz). */
const MAX_TAP_SAMPLES = 48000 * 2 * 10;

export const audioPart: PagePart = {
  name: 'audio',
  applies: (context) => !context.headWindow,
  mount(page) {
    const root = page.byId<HTMLElement>('sound');
    const muteButton = page.byId<HTMLButtonElement>('sound-mute');
    const volume = page.byId<HTMLInputElement>('sound-volume');
    const notice = page.byId<HTMLElement>('sound-notice');
    const micIndicator = page.byId<HTMLElement>('mic-indicator');
    const processing = page.byId<HTMLInputElement>('mic-processing');
    const clock = new AudioClockFollower();
    let position: number | null = null;
    let playout: PlayoutStats | null = null;
    let outputStalls: OutputStallStats | null = null;
    let micWhy = '';
    let gateWhy = '';
    /** The notice's text now (null before the first showNotice). */
    let shownNotice: string | null = null;
    /** Tapped output, each part with the context time (s) its first frame is rendered at. */
    let tap: { frames: Float32Array; contextTime: number }[] | null = null;
    let tapSamples = 0;
    let heard: HeardPosition[] = [];
    let localMuted = false;
    let record: { channelId: number } | null = null;
    const sent = { clocks: 0, recordPackets: 0 };
    /** Times the video clock was set from the sound, and the last audible time (ms, wrapping). */
    const videoClock = { sets: 0, lastMm: null as number | null };

    // Where the bridge runs in the decode worker, the worker plays the guest's playback into the
    // worklet itself (audio/worker-playback.ts): this thread keeps the output and the controls.
    const worker = page.soundWorker;
    const output = new AudioOutput({
      gate: (state, why) => {
        gateWhy = why ?? '';
        showNotice();
        // A context that failed to start plays nothing: the clock must not wait on it.
        if (state === 'failed') page.audioClock(null);
      },
      position: (report) => {
        playout = report.stats;
        outputStalls = report.output;
        playback.workletCounts(report.opus);
        position = report.position;
        if (report.position === null || output.gate !== 'on') {
          if (report.stats.state === 'idle') {
            clock.reset();
            page.audioClock(null);
          }
          return;
        }
        const out = output.heardAt(report.contextTime);
        const audible = audibleTime(report.position, report.contextTime, output.currentTime, output.outputLatencyMs);
        const now = performance.now();
        const decision = clock.update(audible, now);
        if (out !== null) {
          heard.push({ mm: report.position, at: out, reportAt: performance.timeOrigin + now, audible, display: clock.displayAt(now) ?? audible });
          if (heard.length > MAX_HEARD_LOG) heard.shift();
        }
        const mm = Math.round(audible) >>> 0;
        if (decision.setDisplay) {
          videoClock.sets++;
          videoClock.lastMm = mm;
          page.audioClock(mm);
        }
        if (decision.sendHost) {
          sent.clocks++;
          page.send({ kind: 'audio-clock', mmNow: mm });
        }
      },
      tap: (frames, contextTime) => {
        if (!tap) return;
        tap.push({ frames, contextTime });
        tapSamples += frames.length;
        while (tapSamples > MAX_TAP_SAMPLES && tap.length > 1) tapSamples -= tap.shift()!.frames.length;
      },
      problem: (why) => page.status.setDetail(`sound: ${why}`),
      opus: (report) => (report.type === 'opus-unavailable' ? playback.workletUnavailable(report.why) : playback.workletError(report.why)),
      ...(worker && {
        playoutPort: (port: MessagePort, ring: SharedArrayBuffer | null) => worker.post({ kind: 'playout-port', port, ring }, [port]),
        link: (state) => worker.post({ kind: 'playout-state', state }),
      }),
    });
    // Opus is decoded in the worklet (WebAssembly), or with #opus=page on this thread (WebCodecs),
    // as it is where the page cannot compile WebAssembly (bench/README.md, audio, measures both).
    const opusDecoding = page.context.options.get('opus') === 'page' || typeof WebAssembly !== 'object' ? 'page' : 'worklet';
    const workerPlayback = worker ? new WorkerPlaybackProxy((m, transfer) => worker.post(m, transfer), opusDecoding) : null;
    const playback: PlaybackControl = workerPlayback ?? new PagePlayback(output, (message) => page.status.setDetail(message), opusDecoding);
    const pagePlayback = playback instanceof PagePlayback ? playback : null;
    if (worker && workerPlayback) {
      worker.listen((m) => {
        if (m.kind === 'record-stats') microphone.workerReport(m);
        else if (m.kind === 'playback-stats') {
          workerPlayback.update(m.stats);
          showNotice();
        } else if (m.kind === 'playback-problem') page.status.setDetail(m.message);
        else output.want();
      });
    }
    const microphone = new Microphone(output, {
      state: (state: MicrophoneState, why?: string) => {
        micWhy = why ?? '';
        output.setMicrophoneOpen(state === 'open' || state === 'asking');
        micIndicator.hidden = state !== 'open' && state !== 'asking';
        micIndicator.textContent = state === 'asking' ? 'microphone: asking…' : '● microphone in use';
        if (state === 'refused') page.status.setDetail(micWhy);
        showNotice();
      },
      packet: (payload, mode) => {
        if (!record) return;
        sent.recordPackets++;
        page.send({ kind: 'record-data', mode, time: 0, payload });
      },
    }, undefined, worker);

    function showNotice(): void {
      const gate: SoundGate = output.gate;
      let text = '';
      if (gate === 'waiting') text = playback.playing || microphone.state === 'open' ? '🔇 sound is waiting: click or press a key to turn it on' : 'click or press a key to turn sound on';
      else if (gate === 'failed') text = `sound does not work here: ${gateWhy}`;
      // Called for every playback message (100 a second): writing the notice each time, even the
      // same empty text, made the renderer lay out and composite a frame each time (page-profile
      // --audio: the renderer's main thread 0.068 -> 0.041 CPU s/s, its compositor thread and the
      // GPU process's 0.024 -> 0).
      if (text === shownNotice) return;
      shownNotice = text;
      notice.textContent = text;
      notice.hidden = text === '';
    }

    const applyLocal = (): void => {
      playback.setLocal(Number(volume.value) / 100, localMuted);
      muteButton.setAttribute('aria-pressed', String(localMuted));
      muteButton.textContent = localMuted ? 'Sound off' : 'Sound on';
    };
    muteButton.addEventListener('click', () => {
      localMuted = !localMuted;
      applyLocal();
      page.canvas.focus();
    });
    volume.addEventListener('input', applyLocal);
    volume.addEventListener('change', () => page.canvas.focus());
    processing.addEventListener('change', () => {
      microphone.processing = processing.checked;
      page.canvas.focus();
    });
    root.hidden = false;

    const onRecord = (channelId: number, type: number, body: Uint8Array, opus: boolean): void => {
      let m;
      try {
        m = parseRecordMessage(type, body, { channel: 'record' });
      } catch (e) {
        page.status.setDetail(`microphone: ${e instanceof Error ? e.message : String(e)}`);
        return;
      }
      if (m.kind === 'start') {
        record = { channelId };
        void microphone.open({ channels: m.channels, frequency: m.frequency, opus: opus && OPUS_RATES.includes(m.frequency) });
      } else if (m.kind === 'stop') {
        record = null;
        microphone.close();
      }
      // The guest's capture mixer: applied to what the page sends (silence while muted).
      else if (m.kind === 'volume') microphone.setGuest({ volume: m.volume });
      else if (m.kind === 'mute') microphone.setGuest({ muted: m.muted });
    };

    const endSession = (): void => {
      playback.reset();
      microphone.close();
      microphone.setGuest(null);
      record = null;
      clock.reset();
      page.audioClock(null);
      showNotice();
    };

    return {
      onHostMessage(m) {
        switch (m.kind) {
          case 'playback':
            // Only with #bridge=page: otherwise the worker keeps these.
            pagePlayback?.receive(m.type, m.body);
            showNotice();
            return true;
          case 'record':
            onRecord(m.channelId, m.type, m.body, m.opus);
            return true;
          case 'page-policy': {
            // Kiosk: the sound is what the guest sets; the page's own controls are not offered.
            if (m.kiosk) {
              localMuted = false;
              volume.value = '100';
              applyLocal();
              root.hidden = true;
            }
            // Without the bar (kiosk, or a policy that hides it) the notice that sound waits for a
            // click must still be seen: it is not a control, so it floats over the screen instead.
            const floating = m.kiosk || !m.controls.bar;
            notice.classList.toggle('floating', floating);
            if (floating) document.body.append(notice);
            else root.append(notice);
            return false;
          }
          default:
            if (endsSound(m)) endSession();
            return false;
        }
      },
      onBridgeClosed: () => endSession(),
      state: () => ({
        audio: {
          gate: output.gate,
          sleeping: output.sleeping,
          idleSuspensions: output.idleSuspensions,
          notice: notice.hidden ? '' : (notice.textContent ?? ''),
          playback: playback.stats,
          playout,
          outputStalls,
          position,
          localVolume: Number(volume.value) / 100,
          localMuted,
          microphone: { state: microphone.state, mode: microphone.mode, why: micWhy, processing: microphone.processing, guest: microphone.guestMixer, ...microphone.counts },
          // Sent from this thread, or by the worker (since the microphone opened).
          sent: { clocks: sent.clocks, recordPackets: sent.recordPackets + microphone.workerSent },
          videoClock: { ...videoClock },
        },
      }),
      testHooks: () => ({
        /** Starts (or stops) copying the worklet's output, after the gain, for a test to measure. */
        audioTap: (on: boolean) => {
          tap = on ? [] : null;
          tapSamples = 0;
          output.post({ type: 'tap', on });
        },
        /** When the sound's positions reached the output since the last call (and forgets them): the other half of an A/V sync test. */
        heardLog: () => {
          const log = heard;
          heard = [];
          return log;
        },
        /**
         * The output copied since the tap started (and forgets it): interleaved stereo Float32 as
         * base64, at the context's rate; the context time (s) its first frame was rendered at (null
         * when empty: the parts are contiguous, the worklet taps every quantum), and what maps
         * context time to when it is heard: the context's getOutputTimestamp() (outputLatency
         * included), performance.timeOrigin and the context's latencies (s).
         */
        audioTapTake: async () => {
          const ctx = await output.context();
          const parts = tap ?? [];
          if (tap) tap = [];
          tapSamples = 0;
          const total = parts.reduce((n, p) => n + p.frames.length, 0);
          const all = new Float32Array(total);
          let o = 0;
          for (const p of parts) {
            all.set(p.frames, o);
            o += p.frames.length;
          }
          const bytes = new Uint8Array(all.buffer);
          let binary = '';
          for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
          const stamp = ctx?.getOutputTimestamp();
          return {
            rate: ctx?.sampleRate ?? 0,
            samplesBase64: btoa(binary),
            contextTime: parts[0]?.contextTime ?? null,
            outputTimestamp: stamp && stamp.contextTime !== undefined && stamp.performanceTime !== undefined ? { contextTime: stamp.contextTime, performanceTime: stamp.performanceTime } : null,
            timeOrigin: performance.timeOrigin,
            outputLatency: ctx?.outputLatency ?? 0,
            baseLatency: ctx?.baseLatency ?? 0,
          };
        },
      }),
    };
  },
};
