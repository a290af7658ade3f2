// `do speak` applies the guest's capture VOLUME and MUTE to what it sends (QEMU leaves them to the
// client): a linked record channel, the server's START, VOLUME and MUTE, and the DATA bodies read back.
import { describe, expect, it } from 'vitest';
import { cliAudioCapabilities } from '../../../../src/main/audio/cli-audio-capabilities.ts';
import { packetAtGain, speakIntoRecord } from '../../../../src/main/audio/wav-microphone.ts';
import { RecordChannel } from '../../../../src/protocol/channels/record/record-channel.ts';
import { RecordCap, RecordMsg, RecordMsgc } from '../../../../src/protocol/channels/record/record-messages.ts';
import type { WavAudio } from '../../../../src/protocol/audio/wav.ts';
import { silentLogger } from '../../../../src/protocol/logger.ts';
import { miniMessage } from '../../../helpers/server-messages.ts';
import { waitUntil } from '../../../helpers/wait.ts';
import { linkedAudioChannel } from '../../channels/playback/audio-link.ts';
import { recordStartBody, u8Body, volumeBody } from '../../channels/playback/audio-bodies.ts';

/** `seconds` of a constant stereo level (easy to read back) at 48 kHz. */
function constantWav(seconds: number, level: number): WavAudio {
  const frames = Math.round(48000 * seconds);
  return { channels: 2, frequency: 48000, frames, samples: new Int16Array(frames * 2).fill(level) };
}

/** The first sample of each DATA body the client sent (after its u32 time). */
function dataLevels(sent: { type: number; body: Uint8Array }[]): number[] {
  return sent.filter((m) => m.type === RecordMsgc.DATA).map((m) => new DataView(m.body.buffer, m.body.byteOffset).getInt16(m.body.byteLength - 2, true));
}

describe('do speak and the guest capture volume', () => {
  it('announces the record VOLUME cap from the CLI (and no playback VOLUME)', async () => {
    const link = await linkedAudioChannel((host) => new RecordChannel(host, 0, cliAudioCapabilities), [RecordCap.VOLUME]);
    expect(link.announced).toEqual([RecordCap.VOLUME]);
    await link.close();
  });

  it('sends at full level before any VOLUME, at the cubic gain after one, silence while MUTEd', async () => {
    const link = await linkedAudioChannel((host) => new RecordChannel(host, 0, cliAudioCapabilities), [RecordCap.VOLUME]);
    let ended!: (why: string) => void;
    const speaking = speakIntoRecord(link.channel, {
      wav: constantWav(0.6, 8000),
      waitMs: 5000,
      logger: silentLogger,
      ended: new Promise<string>((resolve) => (ended = resolve)),
      mediaTime: () => 0,
    });
    link.server.feed(miniMessage(RecordMsg.START, recordStartBody()));
    await waitUntil('the first packets', () => dataLevels(link.sent()).length >= 5, 5000);
    // Half the volume on the cubic curve: a gain of 0.125.
    link.server.feed(miniMessage(RecordMsg.VOLUME, volumeBody(32768, 32768)));
    await waitUntil('VOLUME applied', () => link.channel.guestVolume !== null, 5000);
    const atVolume = dataLevels(link.sent()).length;
    await waitUntil('packets at the volume', () => dataLevels(link.sent()).length >= atVolume + 5, 5000);
    link.server.feed(miniMessage(RecordMsg.MUTE, u8Body(1)));
    await waitUntil('MUTE applied', () => link.channel.guestMuted, 5000);
    const atMute = dataLevels(link.sent()).length;
    const r = await speaking;
    ended('done');
    const levels = dataLevels(link.sent());
    expect(levels.length).toBe(60);
    expect(levels.slice(0, 5)).toEqual([8000, 8000, 8000, 8000, 8000]);
    // The packet that carries the change ramps to it; the next ones are at the gain.
    expect(levels.slice(atVolume + 1, atVolume + 4)).toEqual([1000, 1000, 1000]);
    expect(levels.slice(atMute + 1)).toEqual(new Array(levels.length - atMute - 1).fill(0));
    expect(r.gain).toBe(0);
    await link.close();
  });

  it('ramps a change of gain across one packet, without clipping past S16', () => {
    const packet = new Uint8Array(new Int16Array([10000, -10000, 10000, -10000, 10000, -10000, 10000, -10000]).buffer);
    expect(Array.from(new Int16Array(packetAtGain(packet, 2, 1, 0).buffer))).toEqual([7500, -7500, 5000, -5000, 2500, -2500, 0, 0]);
    expect(packetAtGain(packet, 2, 1, 1)).toBe(packet);
    const loud = new Uint8Array(new Int16Array([30000, -30000]).buffer);
    expect(Array.from(new Int16Array(packetAtGain(loud, 2, 2, 2).buffer))).toEqual([32767, -32768]);
  });
});
