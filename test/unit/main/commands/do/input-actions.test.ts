// The keyboard and mouse actions of `do` as definitions: what each reads, what it needs, and what
// it sends through the script's inputs.
import { describe, expect, it } from 'vitest';
import { MouseButton } from '../../../../../src/protocol/channels/inputs/inputs-messages.ts';
import type { ActionWords, DoActionDefinition, ScriptContext } from '../../../../../src/main/commands/do/action.ts';
import { inputActions } from '../../../../../src/main/commands/do/input-actions.ts';

const action = (name: string): DoActionDefinition<unknown> => inputActions.find((a) => a.name === name)!;

/** The words after the action's name, with `wait` and `type` as the only other actions. */
function wordsOf(word: string, rest: string[]): ActionWords & { left: () => string[] } {
  let i = 0;
  return {
    word,
    take(what) {
      if (i >= rest.length) throw new Error(`${word} needs ${what}`);
      return rest[i++];
    },
    peek: () => rest[i],
    skip: () => void i++,
    isAction: (w) => w === 'wait' || w === 'type',
    left: () => rest.slice(i),
  };
}

/** A script whose inputs record what they were asked to do. */
function recordingScript() {
  const calls: string[] = [];
  const script = {
    inputs: {
      channel: { modifiers: null, whenSent: async () => void calls.push('sent') },
      keys: async (steps: { scancode: number; down: boolean }[]) => void calls.push(`keys ${steps.map((s) => `${s.down ? '+' : '-'}${s.scancode}`).join(' ')}`),
      move: async (x: number, y: number) => void calls.push(`move ${x},${y}`),
      press: (b: number) => void calls.push(`press ${b}`),
      release: (b: number) => void calls.push(`release ${b}`),
    },
  } as unknown as ScriptContext;
  return { script, calls };
}

describe('click, mousedown and mouseup', () => {
  it('read an optional button, left by default, and leave the next action alone', () => {
    const words = wordsOf('click', ['wait', '1']);
    expect(action('click').parse(words)).toEqual({ button: MouseButton.LEFT });
    expect(words.left()).toEqual(['wait', '1']);
    expect(action('mousedown').parse(wordsOf('mousedown', ['Right']))).toEqual({ button: MouseButton.RIGHT });
    expect(action('mouseup').parse(wordsOf('mouseup', ['4']))).toEqual({ button: 4 });
    expect(() => action('click').parse(wordsOf('click', ['thumb']))).toThrow(/click: unknown button "thumb"; buttons are left, middle, right, wheel-up, wheel-down, side, extra or 1-7/);
    expect(() => action('click').parse(wordsOf('click', ['constructor']))).toThrow(/unknown button "constructor"/);
  });

  it('need the inputs channel in a mouse mode, and are not repeated after a reconnect', () => {
    for (const name of ['click', 'mousedown', 'mouseup']) {
      expect(action(name).needs).toEqual(['inputs', 'mouse-mode']);
      expect(action(name).repeatable).toBe(false);
    }
    expect(action('move').repeatable).toBe(true);
  });

  it('press, release or both, then wait until it left', async () => {
    const { script, calls } = recordingScript();
    await action('click').run({ button: MouseButton.MIDDLE }, script);
    await action('mousedown').run({ button: MouseButton.LEFT }, script);
    await action('mouseup').run({ button: MouseButton.LEFT }, script);
    expect(calls).toEqual(['press 2', 'release 2', 'sent', 'press 1', 'sent', 'release 1', 'sent']);
  });
});

describe('key, keydown, keyup, type and move', () => {
  it('send all of a combo, only its presses, or only its releases', async () => {
    const { script, calls } = recordingScript();
    for (const name of ['key', 'keydown', 'keyup']) await action(name).run(action(name).parse(wordsOf(name, ['ctrl+c'])), script);
    expect(calls).toEqual(['keys +29 +46 -46 -29', 'keys +29 +46', 'keys -46 -29']);
  });

  it('name the action in their messages', () => {
    expect(() => action('keydown').parse(wordsOf('keydown', []))).toThrow('keydown needs a key COMBO such as enter, ctrl+c or ctrl+alt+delete');
    expect(() => action('type').parse(wordsOf('type', ['café']))).toThrow(/type: cannot type "é"/);
    expect(() => action('move').parse(wordsOf('move', ['1', '70000']))).toThrow('move Y must be a whole number from 0 to 65535, got "70000"');
  });

  it('type needs the lock keys, move moves to X,Y', async () => {
    expect(action('type').needs).toContain('lock-keys');
    const { script, calls } = recordingScript();
    await action('move').run(action('move').parse(wordsOf('move', ['10', '20'])), script);
    expect(calls).toEqual(['move 10,20']);
  });
});
