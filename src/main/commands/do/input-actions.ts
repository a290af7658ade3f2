// The `do` actions of the keyboard and the mouse: type, key, keydown, keyup, move, click,
// mousedown, mouseup. They go out on the inputs channel; none is repeated after a reconnect
// except move, since a key or a click may already have reached the guest.
import { LockModifier, MouseButton } from '../../../protocol/channels/inputs/inputs-messages.ts';
import { parseKeyCombo } from '../../../protocol/input/key-combo.ts';
import type { KeyStep } from '../../../protocol/input/key-steps.ts';
import { textToKeySteps } from '../../../protocol/input/text-keys.ts';
import { defineAction, usage, wholeNumber, type ActionWords, type DoActionDefinition } from './action.ts';

const buttonNames = new Map<string, number>([
  ['left', MouseButton.LEFT],
  ['middle', MouseButton.MIDDLE],
  ['right', MouseButton.RIGHT],
  ['wheel-up', MouseButton.UP],
  ['wheel-down', MouseButton.DOWN],
  ['side', MouseButton.SIDE],
  ['extra', MouseButton.EXTRA],
]);
for (let b = 1; b <= 7; b++) buttonNames.set(String(b), b);

/** The button named next, if the next word names one; left when no button follows. */
function optionalButton(words: ActionWords): number {
  const next = words.peek();
  const candidate = next?.toLowerCase();
  if (candidate === undefined) return MouseButton.LEFT;
  const button = buttonNames.get(candidate);
  if (button !== undefined) {
    words.skip();
    return button;
  }
  if (!words.isAction(candidate) && !candidate.startsWith('-')) {
    const names = [...buttonNames.keys()].filter((n) => !/^\d$/.test(n));
    throw usage(`${words.word}: unknown button "${next}"; buttons are ${names.join(', ')} or 1-7`);
  }
  return MouseButton.LEFT;
}

interface KeyArgs {
  combo: string;
  steps: KeyStep[];
}

function parseCombo(words: ActionWords): KeyArgs {
  const combo = words.take('a key COMBO such as enter, ctrl+c or ctrl+alt+delete');
  try {
    return { combo, steps: parseKeyCombo(combo) };
  } catch (e) {
    throw usage(`${words.word}: ${(e as Error).message}`);
  }
}

/** key, keydown and keyup: the same COMBO, all of its steps or only the presses or the releases. */
function keyAction(name: string, synopsis: string, help: string, pick: (step: KeyStep) => boolean): DoActionDefinition<unknown> {
  return defineAction<KeyArgs>({
    name,
    synopsis,
    help,
    needs: ['inputs'],
    repeatable: false,
    parse: parseCombo,
    async run({ steps }, script) {
      await script.inputs.keys(steps.filter(pick));
      return null;
    },
  });
}

interface ButtonArgs {
  button: number;
}

/** click, mousedown and mouseup: a press, a release, or both. */
function buttonAction(name: string, synopsis: string, help: string, o: { press: boolean; release: boolean }): DoActionDefinition<unknown> {
  return defineAction<ButtonArgs>({
    name,
    synopsis,
    help,
    needs: ['inputs', 'mouse-mode'],
    repeatable: false,
    parse: (words) => ({ button: optionalButton(words) }),
    async run({ button }, script) {
      if (o.press) script.inputs.press(button);
      if (o.release) script.inputs.release(button);
      await script.inputs.channel.whenSent();
      return null;
    },
  });
}

export const inputActions: readonly DoActionDefinition<unknown>[] = [
  defineAction<{ text: string }>({
    name: 'type',
    synopsis: 'type TEXT',
    help: 'type TEXT on a US keyboard layout (a newline in it is Enter)',
    needs: ['inputs', 'lock-keys'],
    repeatable: false,
    parse(words) {
      const text = words.take('the TEXT to type');
      try {
        textToKeySteps(text);
      } catch (e) {
        throw usage(`type: ${(e as Error).message}`);
      }
      return { text };
    },
    async run({ text }, script) {
      const capsLock = ((script.inputs.channel.modifiers ?? 0) & LockModifier.CAPS_LOCK) !== 0;
      await script.inputs.keys(textToKeySteps(text, { capsLock }));
      return null;
    },
  }),
  keyAction('key', 'key COMBO', 'press a key combination: enter, ctrl+c, ctrl+alt+delete, shift+f12', () => true),
  keyAction('keydown', 'keydown COMBO', 'press only (keys still held at the end are released)', (s) => s.down),
  keyAction('keyup', 'keyup COMBO', 'release only', (s) => !s.down),
  defineAction<{ x: number; y: number }>({
    name: 'move',
    synopsis: 'move X Y',
    help: 'move the pointer to X,Y of display N (default 0)',
    needs: ['inputs', 'mouse-mode'],
    repeatable: true,
    parse(words) {
      const x = wholeNumber(words.take('X and Y'), 'move X', 65535);
      const y = wholeNumber(words.take('X and Y'), 'move Y', 65535);
      return { x, y };
    },
    async run({ x, y }, script) {
      await script.inputs.move(x, y);
      return null;
    },
  }),
  buttonAction('click', 'click [BUTTON]', 'left (default), middle, right, wheel-up, wheel-down, side, extra or 1-7', { press: true, release: true }),
  buttonAction('mousedown', 'mousedown [BUTTON]', 'press only, e.g. for dragging', { press: true, release: false }),
  buttonAction('mouseup', 'mouseup [BUTTON]', 'release only', { press: false, release: true }),
];
