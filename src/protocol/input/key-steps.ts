// A key press or release, the unit that combos and typed text turn into.

export interface KeyStep {
  /** KeyboardEvent.code of the key, for messages and tests. */
  readonly code: string;
  /** Its set-1 scan code (see scancodes.ts). */
  readonly scancode: number;
  readonly down: boolean;
}

/** Presses `held` in order, taps `key`, releases `held` in reverse order. */
export function chord(held: readonly { code: string; scancode: number }[], key: { code: string; scancode: number }): KeyStep[] {
  const steps: KeyStep[] = [];
  for (const h of held) steps.push({ ...h, down: true });
  steps.push({ ...key, down: true }, { ...key, down: false });
  for (const h of [...held].reverse()) steps.push({ ...h, down: false });
  return steps;
}
