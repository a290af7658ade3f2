// Logging for the CLI and main process: pino to stderr when asked for (-v, --debug), silent
// otherwise, so a failing command prints exactly one line a person can act on.
import type { Logger } from '../../protocol/logger.ts';
import { silentLogger } from '../../protocol/logger.ts';

export type LogLevel = 'silent' | 'info' | 'debug';

export async function createLogger(level: LogLevel): Promise<Logger> {
  if (level === 'silent') return silentLogger;
  // Loaded only when asked for: pino adds start-up time that `capture` should not pay.
  const { default: pino } = await import('pino');
  return pino({ level, base: undefined, redact: ['password', '*.password'] }, pino.destination(2)) as unknown as Logger;
}
