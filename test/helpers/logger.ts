// A Logger that keeps what it is told, for tests that check what a component logs.
import type { Logger } from '../../src/protocol/logger.ts';

/** Appends `<level>: <message>` to `lines` for every call (the message, or the string logged alone). */
export function recordingLogger(lines: string[]): Logger {
  const at = (level: string) => (obj: object | string, msg?: string): void => {
    lines.push(`${level}: ${typeof obj === 'string' ? obj : (msg ?? '')}`);
  };
  const logger: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: () => logger };
  return logger;
}
