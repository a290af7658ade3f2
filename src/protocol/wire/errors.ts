// Errors are values with a kind and a message a person can act on. One place (src/main/node/exit-codes.ts)
// maps kinds to exit codes and dialogs; library code never exits or prints.

export type SpiceErrorKind =
  | 'usage' // bad command line, URI or .vv file
  | 'unreachable' // refused, timeout while connecting, DNS, proxy
  | 'auth' // the server refused the password
  | 'tls' // TLS handshake or security policy
  | 'protocol' // the server broke the protocol or refused the link for another reason
  | 'timeout' // connected, but what we waited for never came
  | 'internal';

export class SpiceError extends Error {
  readonly kind: SpiceErrorKind;
  constructor(kind: SpiceErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.kind = kind;
    this.name = 'SpiceError';
  }
}

/** Where in the byte stream a parse failed: enough to find the bytes in a capture. */
export interface WireContext {
  channel?: string;
  messageType?: number;
  messageName?: string;
}

export class ProtocolError extends SpiceError {
  readonly offset: number;
  readonly context: WireContext;
  constructor(detail: string, offset: number, context: WireContext = {}) {
    super('protocol', formatProtocolMessage(detail, offset, context));
    this.name = 'ProtocolError';
    this.offset = offset;
    this.context = context;
  }
}

function formatProtocolMessage(detail: string, offset: number, ctx: WireContext): string {
  const where: string[] = [];
  if (ctx.channel) where.push(`${ctx.channel} channel`);
  if (ctx.messageType !== undefined) {
    where.push(`message ${ctx.messageName ? `${ctx.messageName} (${ctx.messageType})` : ctx.messageType}`);
  }
  where.push(`offset ${offset}`);
  return `malformed data from the server: ${detail} [${where.join(', ')}]`;
}

const errorKinds: ReadonlySet<string> = new Set<SpiceErrorKind>(['usage', 'unreachable', 'auth', 'tls', 'protocol', 'timeout', 'internal']);

/**
 * True for a SpiceError, also one made by another bundle's copy of this class (the CLI loads the
 * gateway as a bundle of its own), which `instanceof` would not recognise.
 */
export function isSpiceError(e: unknown): e is SpiceError {
  if (e instanceof SpiceError) return true;
  return e instanceof Error && (e.name === 'SpiceError' || e.name === 'ProtocolError' || e.name === 'MemoryLimitError') && errorKinds.has((e as { kind?: unknown }).kind as string);
}
