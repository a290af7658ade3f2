// The `do` actions about video streams: video-codecs asks the server, mid-session, to stream in
// other codecs (PREFERRED_VIDEO_CODEC_TYPE); spice-server then stops its streams and starts them
// again in the first codec of its list, sorted by the new order, that it can encode.
import { parseVideoCodecList, videoCodecName } from '../../../protocol/profile/video-codecs.ts';
import { isSpiceError } from '../../../protocol/wire/errors.ts';
import { ExitCode } from '../../node/exit-codes.ts';
import { defineAction, type DoActionDefinition } from './action.ts';

export const videoActions: readonly DoActionDefinition<unknown>[] = [
  defineAction<{ codecs: number[] }>({
    name: 'video-codecs',
    synopsis: 'video-codecs LIST',
    help:
      'ask the server to stream video in these codecs, most wanted\n' +
      'first (such as vp8,mjpeg); codecs this client does not decode\n' +
      'are left out with a warning; exits 6 if the server takes no\n' +
      'codec preference',
    needs: ['display'],
    repeatable: true,
    parse: (words) => ({ codecs: parseVideoCodecList(words.take('a LIST of video codecs such as vp8,mjpeg'), 'video-codecs') }),
    async run({ codecs }, script) {
      const display = await script.screen.firstFrame(Math.max(1000, script.deadline.at - Date.now()));
      try {
        const sent = display.preferVideoCodecs(codecs);
        script.logger.info({ codecs: sent.order.map(videoCodecName) }, 'video codec preference sent');
        return null;
      } catch (e) {
        if (!isSpiceError(e)) throw e;
        return { code: e.kind === 'usage' ? ExitCode.USAGE : ExitCode.PROTOCOL, message: `video-codecs: ${e.message}` };
      }
    },
  }),
];
