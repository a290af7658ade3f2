// The `do` actions about time: wait pauses the script. It needs no connection, so a drop during
// it is repaired in the background while its time runs on.
import { defineAction, seconds, sleep, type DoActionDefinition } from './action.ts';

export const timingActions: readonly DoActionDefinition<unknown>[] = [
  defineAction<{ ms: number }>({
    name: 'wait',
    synopsis: 'wait SECONDS',
    help: 'pause (fractions allowed)',
    needs: [],
    repeatable: true,
    parse: (words) => ({ ms: seconds(words.take('SECONDS'), 'wait', 86_400) }),
    async run({ ms }) {
      await sleep(ms);
      return null;
    },
  }),
];
