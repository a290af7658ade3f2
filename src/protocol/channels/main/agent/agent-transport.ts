// The agent byte stream over the main channel. Outgoing: each message sliced into AGENT_DATA
// chunks of at most 2048 bytes, every message starting a fresh chunk (the server's agent-msg-filter
// rejects anything else), one client token spent per chunk and chunks queued while there are none.
// Incoming: messages reassembled across any number of AGENT_DATA, with their size checked before
// anything is allocated; a malformed stream is reported and skipped, never thrown, so that the
// session goes on without the broken message.
import type { CapSet } from '../../../link/caps.ts';
import type { Logger } from '../../../logger.ts';
import { SpiceError } from '../../../wire/errors.ts';
import { AGENT_HEADER_SIZE, AGENT_MAX_CHUNK, agentMsgName, encodeAgentMessage, parseAgentHeader, VD_AGENT_PROTOCOL, type AgentHeader } from './agent-messages.ts';

/** What the clipboard, monitor and file-transfer parts use to talk to the agent. */
export interface AgentLink {
  /** Queues one agent message; resolves once its last chunk went to the server. */
  send(type: number, body: Uint8Array): Promise<void>;
  /** The agent's capabilities, null until it announced them. */
  readonly peerCaps: CapSet | null;
  readonly connected: boolean;
  readonly log: Logger;
}

interface QueuedMessage {
  type: number;
  chunks: Uint8Array[];
  next: number;
  resolve: () => void;
  reject: (e: Error) => void;
}

export interface IncomingAgentMessage {
  header: AgentHeader;
  body: Uint8Array;
}

export interface AgentTransportOptions {
  /** Hands one AGENT_DATA body to the main channel. */
  sendChunk: (chunk: Uint8Array) => void;
  /** A whole message from the agent. */
  deliver: (message: IncomingAgentMessage) => void;
  /** Called with a sentence for each malformed piece of the stream (already skipped). */
  malformed: (reason: string) => void;
  /** Largest incoming message body accepted; larger ones are skipped unread. */
  maxMessageSize: number;
}

export class AgentTransport {
  private tokens = 0;
  private readonly queue: QueuedMessage[] = [];
  private readonly header = new Uint8Array(AGENT_HEADER_SIZE);
  private headerFill = 0;
  private current: { header: AgentHeader; body: Uint8Array; fill: number } | null = null;
  /** Body bytes of a refused (too large) message still to be passed over. */
  private skipping = 0;
  maxMessageSize: number;

  constructor(private readonly options: AgentTransportOptions) {
    this.maxMessageSize = options.maxMessageSize;
  }

  /** Send credits left (INIT.agent_tokens or AGENT_CONNECTED_TOKENS, plus AGENT_TOKEN grants). */
  get availableTokens(): number {
    return this.tokens;
  }

  /** Chunks waiting for tokens. */
  get queuedChunks(): number {
    return this.queue.reduce((n, m) => n + m.chunks.length - m.next, 0);
  }

  setTokens(n: number): void {
    this.tokens = n;
    this.flush();
  }

  addTokens(n: number): void {
    this.tokens += n;
    this.flush();
  }

  send(type: number, body: Uint8Array): Promise<void> {
    const whole = encodeAgentMessage(type, body);
    const chunks: Uint8Array[] = [];
    for (let at = 0; at < whole.byteLength; at += AGENT_MAX_CHUNK) chunks.push(whole.subarray(at, at + AGENT_MAX_CHUNK));
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ type, chunks, next: 0, resolve, reject });
      this.flush();
    });
  }

  private flush(): void {
    while (this.tokens > 0 && this.queue.length > 0) {
      const m = this.queue[0];
      this.tokens--;
      this.options.sendChunk(m.chunks[m.next++]);
      if (m.next === m.chunks.length) {
        this.queue.shift();
        m.resolve();
      }
    }
  }

  /**
   * Drops the queued messages not started yet (their promises reject with `reason`). A message
   * already partly sent stays queued: the server expects its remaining chunks even after the agent
   * left, and would misread the next message's header as their continuation otherwise.
   */
  dropUnsent(reason: string): void {
    const keep = this.queue.filter((m) => m.next > 0);
    const dropped = this.queue.filter((m) => m.next === 0);
    this.queue.length = 0;
    this.queue.push(...keep);
    for (const m of dropped) m.reject(new SpiceError('protocol', `${agentMsgName(m.type)} was not sent: ${reason}`));
  }

  /** Everything dropped: the main channel is gone. */
  close(reason: string): void {
    const all = this.queue.splice(0);
    for (const m of all) m.reject(new SpiceError('protocol', `${agentMsgName(m.type)} was not sent: ${reason}`));
    this.resetIncoming();
    this.tokens = 0;
  }

  /** Forgets a message half received (the agent went away). */
  resetIncoming(): void {
    this.headerFill = 0;
    this.current = null;
    this.skipping = 0;
  }

  /** One AGENT_DATA body from the server. */
  receive(chunk: Uint8Array): void {
    let pos = 0;
    while (pos < chunk.byteLength) {
      if (this.skipping > 0) {
        const n = Math.min(this.skipping, chunk.byteLength - pos);
        this.skipping -= n;
        pos += n;
        continue;
      }
      if (!this.current) {
        if (this.headerFill === 0 && pos > 0) {
          // The server never puts the end of one message and the start of the next in one
          // AGENT_DATA (its filter refuses that from the agent), so this is a broken chunk.
          this.options.malformed(`an AGENT_DATA chunk runs ${chunk.byteLength - pos} bytes past the end of the agent message it carries; the extra bytes were dropped`);
          return;
        }
        const n = Math.min(AGENT_HEADER_SIZE - this.headerFill, chunk.byteLength - pos);
        this.header.set(chunk.subarray(pos, pos + n), this.headerFill);
        this.headerFill += n;
        pos += n;
        if (this.headerFill < AGENT_HEADER_SIZE) return;
        this.headerFill = 0;
        const header = parseAgentHeader(this.header);
        if (header.protocol !== VD_AGENT_PROTOCOL) {
          this.options.malformed(`an agent message has protocol ${header.protocol} instead of ${VD_AGENT_PROTOCOL}; the rest of its AGENT_DATA chunk was dropped`);
          return;
        }
        if (header.size > this.maxMessageSize) {
          this.options.malformed(
            `the agent sent ${agentMsgName(header.type)} of ${header.size} bytes, more than the ${this.maxMessageSize} accepted; it was skipped`,
          );
          this.skipping = header.size;
          continue;
        }
        this.current = { header, body: new Uint8Array(header.size), fill: 0 };
      }
      const m = this.current;
      const n = Math.min(m.body.byteLength - m.fill, chunk.byteLength - pos);
      m.body.set(chunk.subarray(pos, pos + n), m.fill);
      m.fill += n;
      pos += n;
      if (m.fill === m.body.byteLength) {
        this.current = null;
        this.options.deliver({ header: m.header, body: m.body });
      }
    }
  }
}
