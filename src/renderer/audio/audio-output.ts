// The page's sound output: one AudioContext with the playout worklet (audio-worklet.ts), made when
// the first sound (or the microphone) needs it. Browsers start a context only after a user
// gesture unless autoplay is allowed: the output then says 'waiting' (the page shows "click or press
// a key to turn sound on") and resumes on the first click or key. The worklet keeps what arrives
// meanwhile within its bounded buffer, so the sound starts at once with the gesture.
//
// A context renders whether or not anything plays: the worklet's 375 calls a second, the browser's
// audio output and the sound server's stream cost Chromium's processes 0.037 CPU s/s of silence
// (page-profile --audio opus --audio-stop; 0.002 with the context suspended). So once the
// playout has been idle (the stream stopped and played out) for a while and nothing else needs
// the context (the microphone), the output suspends it, and resumes it with the next message for
// the playout (a START); the gate stays 'on' meanwhile.
import { canSharePlayoutRing, newPlayoutRing } from './playout-ring.ts';
import { bringsSound, isSoundData, PLAYOUT_PROCESSOR, WORKLET_MODULE, type FromPlayout, type ToPlayout } from './worklet-messages.ts';

export type SoundGate = 'off' | 'starting' | 'waiting' | 'on' | 'failed';

/** The output as the decode worker's link into the playout follows it (playout-link.ts). */
export interface PlayoutLinkState {
  gate: SoundGate;
  /** The context is suspended because nothing played (it wakes at the next sound). */
  asleep: boolean;
}

export interface AudioOutputEvents {
  gate(state: SoundGate, why?: string): void;
  position(report: Extract<FromPlayout, { type: 'position' }>): void;
  /** Tapped output frames; `contextTime`: when the first of them is rendered (s). */
  tap(frames: Float32Array, contextTime: number): void;
  /** The worklet's Opus decoder failed to load, or refused a packet. */
  opus?(report: Extract<FromPlayout, { type: 'opus-unavailable' | 'opus-error' }>): void;
  /**
   * Where the decode worker feeds the playout itself (worker-playback.ts): a second port into the
   * worklet, made with it, and where the page is cross-origin isolated a ring in shared memory
   * the worklet reads too (playout-ring.ts), for the worker to send through.
   */
  playoutPort?(port: MessagePort, ring: SharedArrayBuffer | null): void;
  /** Something went wrong between the worker and the worklet (a broken ring record): a sentence for the status. */
  problem?(why: string): void;
  /** The output's gate and idle sleep, each time either changes: what the worker's link (playout-link.ts) follows. */
  link?(state: PlayoutLinkState): void;
}

/** Messages held while the worklet module loads; older ones go first (a few seconds of a stalled load). */
const MAX_PENDING = 400;
/**
 * Sound held while the browser waits for a gesture (a suspended context may not take its
 * worklet's messages either): the newest ~2 s of 10 ms packets, older ones dropped and counted.
 */
const MAX_WAITING_PACKETS = 200;
/** How long the playout stays idle before the context is suspended (a STOP and a START close together keep it running). */
export const IDLE_SUSPEND_MS = 3000;
/** How long a resume from idle may take before the output says it waits for a gesture (a browser that refuses it without one). */
const RESUME_WAIT_MS = 1000;

export class AudioOutput {
  private ctx: AudioContext | null = null;
  private node: AudioWorkletNode | null = null;
  private pending: { m: ToPlayout; transfer: Transferable[] }[] = [];
  /** Messages held while the gate waits, sent in order when it opens. */
  private waiting: { m: ToPlayout; transfer: Transferable[] }[] = [];
  private state: SoundGate = 'off';
  /** Packets dropped while the gate waited (over MAX_WAITING_PACKETS). */
  droppedWhileWaiting = 0;
  private readonly gestureEvents = ['pointerdown', 'keydown'] as const;
  /** Since when (performance.now) the playout has reported idle; null while it plays or buffers. */
  private idleSince: number | null = null;
  /** The context is suspended because nothing played (not by the browser's autoplay policy). */
  private idleSuspended = false;
  /** The microphone uses the context: it is never suspended meanwhile. */
  private microphoneOpen = false;
  /** A resume from idle is under way: the 'suspended' state it leaves is not the browser's refusal. */
  private resuming = false;
  /** Times the context was suspended for idleness (tests). */
  idleSuspensions = 0;

  constructor(
    private readonly events: AudioOutputEvents,
    private readonly w: Window = window,
    private readonly now: () => number = () => performance.now(),
  ) {}

  get gate(): SoundGate {
    return this.state;
  }

  /** The context (made at the first call), for the microphone's graph; null where Web Audio failed. */
  async context(): Promise<AudioContext | null> {
    this.open();
    this.wake();
    await this.loaded;
    return this.ctx;
  }

  /** The microphone opened or closed: an open one keeps the context running. */
  setMicrophoneOpen(open: boolean): void {
    this.microphoneOpen = open;
    if (open) this.wake();
  }

  /** Whether the context is suspended because nothing played (tests). */
  get sleeping(): boolean {
    return this.idleSuspended;
  }

  /** Sound is on its way (here, or through the worker's port): the output opens the first time, and wakes from its idle sleep. */
  want(): void {
    this.open();
    this.wake();
  }

  /** Posts to the playout processor (queued while it loads). */
  post(m: ToPlayout, transfer: Transferable[] = []): void {
    this.open();
    if (bringsSound(m)) this.wake();
    if (this.node && this.state === 'waiting') {
      // In order (a STOP after its DATA), the oldest DATA dropped beyond the bound.
      this.waiting.push({ m, transfer });
      if (this.waiting.length > MAX_WAITING_PACKETS) {
        const oldest = this.waiting.findIndex((p) => isSoundData(p.m));
        if (oldest >= 0) {
          this.waiting.splice(oldest, 1);
          this.droppedWhileWaiting++;
        }
      }
      return;
    }
    if (this.node) {
      this.node.port.postMessage(m, transfer);
      return;
    }
    if (this.state === 'failed') return;
    this.pending.push({ m, transfer });
    if (this.pending.length > MAX_PENDING) this.pending.splice(0, this.pending.length - MAX_PENDING);
  }

  /** The context's output latency in ms (what is rendered now is heard this much later). */
  get outputLatencyMs(): number {
    const ctx = this.ctx;
    if (!ctx) return 0;
    return ((ctx.outputLatency || 0) + (ctx.baseLatency || 0)) * 1000;
  }

  /**
   * When what the context rendered at `contextTimeSeconds` reaches the output, in ms since the
   * epoch, as the browser reports its output (getOutputTimestamp: the context time being played
   * at a performance time); null before the output has played anything.
   */
  heardAt(contextTimeSeconds: number): number | null {
    const ts = this.ctx?.getOutputTimestamp?.();
    if (!ts || ts.contextTime === undefined || ts.performanceTime === undefined || ts.performanceTime === 0) return null;
    return performance.timeOrigin + ts.performanceTime + (contextTimeSeconds - ts.contextTime) * 1000;
  }

  /** The context's time now, in seconds. */
  get currentTime(): number {
    return this.ctx?.currentTime ?? 0;
  }

  private loaded: Promise<void> = Promise.resolve();

  private open(): void {
    if (this.state !== 'off') return;
    this.setGate('starting');
    this.loaded = this.start().catch((e: unknown) => {
      this.pending = [];
      this.setGate('failed', e instanceof Error ? e.message : String(e));
    });
  }

  private async start(): Promise<void> {
    let ctx: AudioContext;
    try {
      // SPICE's rate: no resampling in the browser's mixer when the device runs at it too.
      ctx = new AudioContext({ latencyHint: 'interactive', sampleRate: 48000 });
    } catch {
      ctx = new AudioContext({ latencyHint: 'interactive' });
    }
    this.ctx = ctx;
    await ctx.audioWorklet.addModule(new URL(WORKLET_MODULE, this.w.location.href).href);
    const node = new AudioWorkletNode(ctx, PLAYOUT_PROCESSOR, { numberOfInputs: 0, numberOfOutputs: 1, outputChannelCount: [2] });
    node.port.onmessage = (e: MessageEvent<FromPlayout>) => {
      const m = e.data;
      if (m.type === 'position') {
        this.events.position(m);
        this.followIdle(m.stats.state === 'idle');
      } else if (m.type === 'tap') this.events.tap(m.frames, m.contextTime);
      else if (m.type === 'ring-error') this.events.problem?.(m.why);
      else this.events.opus?.(m);
    };
    node.connect(ctx.destination);
    this.node = node;
    if (this.events.playoutPort) {
      const channel = new MessageChannel();
      const ring = canSharePlayoutRing(this.w as { crossOriginIsolated?: boolean }) ? newPlayoutRing() : null;
      const m: ToPlayout = { type: 'port', port: channel.port1, ring };
      node.port.postMessage(m, [channel.port1]);
      this.events.playoutPort(channel.port2, ring);
    }
    for (const p of this.pending) node.port.postMessage(p.m, p.transfer);
    this.pending = [];
    ctx.onstatechange = () => this.followState();
    this.followState();
    if (ctx.state === 'suspended') {
      // Allowed without a gesture where autoplay is; otherwise this stays pending until one.
      void ctx.resume();
      for (const type of this.gestureEvents) this.w.addEventListener(type, this.onGesture, { capture: true });
    }
  }

  private readonly onGesture = (): void => {
    const ctx = this.ctx;
    if (!ctx) return;
    void ctx.resume().then(() => this.followState());
  };

  /** Suspends the context once the playout has been idle for IDLE_SUSPEND_MS with no microphone. */
  private followIdle(idle: boolean): void {
    const now = this.now();
    if (!idle || this.microphoneOpen || this.state !== 'on') {
      this.idleSince = null;
      return;
    }
    this.idleSince ??= now;
    if (now - this.idleSince < IDLE_SUSPEND_MS || !this.ctx || this.ctx.state !== 'running') return;
    this.idleSince = null;
    this.idleSuspended = true;
    this.idleSuspensions++;
    this.reportLink();
    void this.ctx.suspend();
  }

  /** Resumes a context suspended for idleness; one the browser will not resume without a gesture waits for one, as at the start. */
  private wake(): void {
    const ctx = this.ctx;
    if (!this.idleSuspended || !ctx) return;
    this.idleSuspended = false;
    this.idleSince = null;
    this.resuming = true;
    this.reportLink();
    void ctx.resume().then(() => {
      this.resuming = false;
      this.followState();
    });
    setTimeout(() => {
      if (this.ctx !== ctx || this.idleSuspended || ctx.state !== 'suspended') return;
      this.resuming = false;
      for (const type of this.gestureEvents) this.w.addEventListener(type, this.onGesture, { capture: true });
      this.setGate('waiting');
    }, RESUME_WAIT_MS);
  }

  private followState(): void {
    const ctx = this.ctx;
    if (!ctx) return;
    // Suspended by the output itself (nothing plays): the sound is still on.
    if (this.idleSuspended || (this.resuming && ctx.state === 'suspended')) return;
    if (ctx.state === 'running') {
      for (const type of this.gestureEvents) this.w.removeEventListener(type, this.onGesture, { capture: true });
      this.setGate('on');
      const held = this.waiting;
      this.waiting = [];
      for (const p of held) this.node?.port.postMessage(p.m, p.transfer);
    } else if (ctx.state === 'suspended') {
      this.setGate('waiting');
    }
  }

  private setGate(state: SoundGate, why?: string): void {
    if (state === this.state) return;
    this.state = state;
    this.events.gate(state, why);
    this.reportLink();
  }

  private reportLink(): void {
    this.events.link?.({ gate: this.state, asleep: this.idleSuspended });
  }
}
