import { describe, expect, it } from 'vitest';
import { parseDoArgs } from '../../../../../src/main/commands/do/do-command.ts';
import { parseHeadSizes } from '../../../../../src/main/commands/do/agent-actions.ts';
import { doActions } from '../../../../../src/main/commands/do/action-table.ts';
import type { ScriptAgent, ScriptContext } from '../../../../../src/main/commands/do/action.ts';
import type { Agent } from '../../../../../src/protocol/channels/main/agent/agent.ts';
import { ClipboardSelection, ClipboardType } from '../../../../../src/protocol/channels/main/agent/agent-messages.ts';
import { Emitter } from '../../../../../src/protocol/emitter.ts';
import { SpiceError } from '../../../../../src/protocol/wire/errors.ts';

describe('do agent actions', () => {
  it('parses clip-set, clip-get, resize and send with the files up to the next action', () => {
    const line = parseDoArgs(['spice://h:1', 'clip-set', '-not an option', 'clip-get', 'resize', '1280x720,800x600', 'send', 'a.txt', 'b c.bin', 'wait', '1']);
    expect(line.actions.map((a) => [a.name, a.args])).toEqual([
      ['clip-set', { text: '-not an option' }],
      ['clip-get', {}],
      ['resize', { heads: [{ width: 1280, height: 720 }, { width: 800, height: 600 }] }],
      ['send', { files: ['a.txt', 'b c.bin'] }],
      ['wait', { ms: 1000 }],
    ]);
  });

  it('rejects bad sizes and a send without files, naming the problem', () => {
    expect(() => parseDoArgs(['t', 'resize', '1280*720'])).toThrow(/head 0 "1280\*720" must be WIDTHxHEIGHT/);
    expect(() => parseHeadSizes('0x10')).toThrow(/each from 1 to 16384/);
    expect(() => parseHeadSizes('1x1,1x1,1x1,1x1,1x1')).toThrow(/at most 4 heads/);
    expect(() => parseDoArgs(['t', 'send', 'wait', '1'])).toThrow(/send needs at least one FILE/);
    expect(() => parseDoArgs(['t', 'clip-set'])).toThrow(/clip-set needs the TEXT/);
  });
});

describe('clip-get', () => {
  /** A guest clipboard that copies again while its first contents are on the way. */
  function regrabbingGuest(regrabs: number) {
    const events = new Emitter<{ 'guest-grab': { selection: number; types: number[] } }>();
    const printed: string[] = [];
    let requests = 0;
    const clipboard = {
      events,
      guestTypes: () => [ClipboardType.UTF8_TEXT],
      requestText(): Promise<string> {
        requests++;
        if (requests > regrabs) return Promise.resolve(`contents ${requests}`);
        return new Promise((_, reject) => {
          // As the agent does: the pending request fails, then the new grab is announced.
          queueMicrotask(() => {
            reject(new SpiceError('protocol', "the guest's CLIPBOARD could not be read: the guest put new contents there"));
            events.emit('guest-grab', { selection: ClipboardSelection.CLIPBOARD, types: [ClipboardType.UTF8_TEXT] });
          });
        });
      },
    };
    const agent = { clipboard, connected: true } as unknown as Agent;
    const script: ScriptAgent = {
      ready: async () => agent,
      bounded: (p) => p,
      timeoutMs: 1000,
      out: (text) => void printed.push(text),
      progress: () => {},
    };
    return { script, printed, requests: () => requests };
  }

  const clipGet = doActions.get('clip-get')!;

  it('asks again when the guest copies during the request, and prints the newer contents', async () => {
    const guest = regrabbingGuest(2);
    expect(await clipGet.run({}, { agent: guest.script } as unknown as ScriptContext)).toBeNull();
    expect(guest.printed).toEqual(['contents 3']);
  });

  it('gives up after five attempts on a guest that never stops copying, saying why', async () => {
    const guest = regrabbingGuest(100);
    expect(await clipGet.run({}, { agent: guest.script } as unknown as ScriptContext)).toEqual({ code: 9, message: "clip-get: the guest's CLIPBOARD could not be read: the guest put new contents there" });
    expect(guest.requests()).toBe(5);
  });
});
