// Every parser that takes outside bytes, one entry each. A new parser is one entry (in the file
// of its kind) plus its seeds; the fixed set in `npm test` and `npm run fuzz` pick it up from here.
import type { FuzzTarget } from '../harness/fuzz-target.ts';
import { channelTargets } from './channel-targets.ts';
import { codecTargets } from './codec-targets.ts';
import { inputTargets } from './input-targets.ts';
import { usbredirTargets } from './usbredir-targets.ts';

export const fuzzTargets: readonly FuzzTarget[] = [...channelTargets, ...codecTargets, ...inputTargets, ...usbredirTargets];

export function targetNamed(name: string): FuzzTarget {
  const t = fuzzTargets.find((x) => x.name === name);
  if (!t) throw new Error(`no fuzz target "${name}"; the targets are ${fuzzTargets.map((x) => x.name).join(', ')}`);
  return t;
}
