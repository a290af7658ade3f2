// The line at the top of the page: connecting, connected (server name), reconnecting (why, when,
// which attempt), error with its reason.
import type { SessionStatus } from '../protocol/bridge/bridge-messages.ts';
import { codecName } from '../protocol/channels/display/display-streams.ts';
import type { VideoStatus } from './present/video-overlay.ts';

export type PageState = SessionStatus['state'] | 'disconnected';

export class StatusLine {
  state: PageState = 'connecting';
  text = '';
  /** The playing stream as shown ('' when none plays). */
  videoText = '';

  constructor(
    private readonly element: HTMLElement,
    private readonly detail: HTMLElement,
    private readonly video: HTMLElement | null = null,
  ) {}

  /** The playing video stream: its codec, frame rate and whether it decodes in hardware; nothing when none plays. */
  setVideo(status: VideoStatus | null): void {
    const text = status ? videoStatusText(status) : '';
    // The worker reports twice a second; the same text written again costs the page a frame.
    if (text === this.videoText) return;
    this.videoText = text;
    if (!this.video) return;
    this.video.textContent = this.videoText;
    this.video.hidden = this.videoText === '';
  }

  show(state: PageState, text: string): void {
    this.state = state;
    this.text = text;
    this.element.dataset.state = state;
    this.element.textContent = text;
  }

  /** Renderer, mouse mode: small print beside the status. */
  setDetail(text: string): void {
    this.detail.textContent = text;
  }

  fromSession(s: SessionStatus): void {
    switch (s.state) {
      case 'connecting':
        this.show('connecting', `connecting to ${s.where}…`);
        return;
      case 'connected':
        this.show('connected', `connected to ${s.serverName}`);
        return;
      case 'error':
        this.show('error', `error (${s.errorKind}): ${s.message}`);
        return;
      case 'closed':
        this.show('closed', s.reason ? `closed: ${s.reason}` : 'closed');
        return;
      case 'reconnecting': {
        const when = s.delayMs > 0 ? `in ${formatDelay(s.delayMs)}` : 'now';
        this.show('reconnecting', `connection to ${s.where} lost (${s.reason}); reconnecting ${when}, attempt ${s.attempt}…`);
        return;
      }
    }
  }
}

/** "VP9 25 fps (software)": what the status shows of a playing stream. */
export function videoStatusText(s: VideoStatus): string {
  return `${codecName(s.codec)} ${s.fps} fps (${s.acceleration === 'hardware' ? 'hardware decoding' : 'software decoding'})`;
}

function formatDelay(ms: number): string {
  const seconds = ms / 1000;
  return seconds < 10 && !Number.isInteger(seconds) ? `${seconds.toFixed(1)} s` : `${Math.round(seconds)} s`;
}
