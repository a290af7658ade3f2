// Every `do` action, by family: a new action goes into its family's file (and its test), nothing
// else. The families' order is the order of the help.
import type { DoActionDefinition } from './action.ts';
import { agentActions } from './agent-actions.ts';
import { audioActions } from './audio-actions.ts';
import { inputActions } from './input-actions.ts';
import { powerActionsFamily } from './power-actions.ts';
import { screenActions } from './screen-actions.ts';
import { timingActions } from './timing-actions.ts';
import { usbActions } from './usb-actions.ts';
import { videoActions } from './video-actions.ts';

export interface DoActionFamily {
  /** The heading above the family in the help. */
  readonly title: string;
  readonly actions: readonly DoActionDefinition<unknown>[];
}

export const doActionFamilies: readonly DoActionFamily[] = [
  { title: 'keyboard and mouse', actions: inputActions },
  { title: 'time', actions: timingActions },
  { title: 'the screen', actions: screenActions },
  { title: 'video streams', actions: videoActions },
  { title: 'sound', actions: audioActions },
  { title: "the VM's power (QEMU's monitor port)", actions: powerActionsFamily },
  { title: 'through the guest agent (spice-vdagent in the guest)', actions: agentActions },
  { title: 'USB redirection (the VM\'s usbredir slots)', actions: usbActions },
];

/** The actions by name; a name given twice is a programming error, found when this loads. */
export function actionsByName(families: readonly DoActionFamily[]): ReadonlyMap<string, DoActionDefinition<unknown>> {
  const byName = new Map<string, DoActionDefinition<unknown>>();
  for (const family of families) {
    for (const action of family.actions) {
      if (byName.has(action.name)) throw new Error(`two do actions are named ${action.name}`);
      byName.set(action.name, action);
    }
  }
  return byName;
}

export const doActions = actionsByName(doActionFamilies);
