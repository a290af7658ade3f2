// The one place that maps error kinds to process exit codes (README: "Exit codes").
import type { SpiceErrorKind } from '../../protocol/wire/errors.ts';

export const ExitCode = {
  OK: 0,
  OTHER: 1,
  USAGE: 2,
  UNREACHABLE: 3,
  AUTH: 4,
  TLS: 5,
  PROTOCOL: 6,
  TIMEOUT: 7,
  EXPECT_FAILED: 8,
  /** `do` through the guest agent: a file did not reach the guest (each is reported by name), or clip-get found no text. */
  AGENT_ACTION_FAILED: 9,
} as const;

export function exitCodeFor(kind: SpiceErrorKind): number {
  switch (kind) {
    case 'usage':
      return ExitCode.USAGE;
    case 'unreachable':
      return ExitCode.UNREACHABLE;
    case 'auth':
      return ExitCode.AUTH;
    case 'tls':
      return ExitCode.TLS;
    case 'protocol':
      return ExitCode.PROTOCOL;
    case 'timeout':
      return ExitCode.TIMEOUT;
    default:
      return ExitCode.OTHER;
  }
}
