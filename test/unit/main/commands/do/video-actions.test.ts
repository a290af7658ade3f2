// `do video-codecs LIST`: the list read before connecting (a typo costs no connection), the
// preference handed to the display channel, and a server that takes none reported with exit 6.
import { describe, expect, it } from 'vitest';
import { parseDoArgs } from '../../../../../src/main/commands/do/do-command.ts';
import type { ScriptContext } from '../../../../../src/main/commands/do/action.ts';
import type { DisplayChannel } from '../../../../../src/protocol/channels/display/display-channel.ts';
import { VideoCodec } from '../../../../../src/protocol/channels/display/display-messages.ts';
import { SpiceError } from '../../../../../src/protocol/wire/errors.ts';
import { silentLogger } from '../../../../../src/protocol/logger.ts';
import { ExitCode } from '../../../../../src/main/node/exit-codes.ts';

/** A script context whose display records the preferences asked for, or refuses them. */
function scriptWith(prefer: (codecs: readonly number[] | null) => { order: number[]; undecodable: number[] }) {
  const asked: (readonly number[] | null)[] = [];
  const display = {
    preferVideoCodecs: (codecs: readonly number[] | null) => {
      asked.push(codecs);
      return prefer(codecs);
    },
  } as unknown as DisplayChannel;
  const script = {
    where: 'memory',
    displayId: 0,
    deadline: { at: Date.now() + 5000 },
    logger: silentLogger,
    screen: { display, firstFrame: () => Promise.resolve(display) },
  } as unknown as ScriptContext;
  return { script, asked };
}

describe('do video-codecs', () => {
  it('reads its LIST and needs the display', () => {
    const line = parseDoArgs(['spice://h:1', 'video-codecs', 'vp8,MJPEG', 'wait', '1', '--video-codecs', 'vp9']);
    expect(line.actions[0]).toMatchObject({ name: 'video-codecs', args: { codecs: [VideoCodec.VP8, VideoCodec.MJPEG] }, needs: ['display'], repeatable: true });
    // The option of the same name is the first preference, before any action.
    expect(line.videoCodecs).toEqual([VideoCodec.VP9]);
    expect(() => parseDoArgs(['t', 'video-codecs'])).toThrow(/video-codecs needs a LIST of video codecs such as vp8,mjpeg/);
    expect(() => parseDoArgs(['t', 'video-codecs', 'vp8,wmv'])).toThrow(/video-codecs names an unknown video codec "wmv"/);
  });

  it('sends the preference on the display channel', async () => {
    const { script, asked } = scriptWith((codecs) => ({ order: [...(codecs ?? [])], undecodable: [] }));
    const [step] = parseDoArgs(['t', 'video-codecs', 'h264,vp8']).actions;
    expect(await step.run(script)).toBeNull();
    expect(asked).toEqual([[VideoCodec.H264, VideoCodec.VP8]]);
  });

  it('fails with exit 6 when the server takes no preference', async () => {
    const { script } = scriptWith(() => {
      throw new SpiceError('protocol', "the server's display channel 0 takes no video codec preference (it lacks the PREF_VIDEO_CODEC_TYPE cap)");
    });
    const [step] = parseDoArgs(['t', 'video-codecs', 'vp8']).actions;
    expect(await step.run(script)).toEqual({ code: ExitCode.PROTOCOL, message: expect.stringMatching(/^video-codecs: the server's display channel 0 takes no video codec preference/) });
  });
});
