// The channel targets: each feeds a message stream to a real channel object (see
// channel-driver.ts), so that the channel's framing, base messages, handler table and what the
// handlers hand on (the display pipeline with its decoders and compositor, the cursor decoder,
// the guest agent) all run on the mutated bytes.
import { CursorChannel } from '../../../src/protocol/channels/cursor/cursor-channel.ts';
import { CursorType } from '../../../src/protocol/channels/cursor/cursor-messages.ts';
import { DisplayChannel } from '../../../src/protocol/channels/display/display-channel.ts';
import { GenericChannel } from '../../../src/protocol/channels/generic-channel.ts';
import { InputsChannel } from '../../../src/protocol/channels/inputs/inputs-channel.ts';
import { InputsMsg } from '../../../src/protocol/channels/inputs/inputs-messages.ts';
import { Agent } from '../../../src/protocol/channels/main/agent/agent.ts';
import { AgentCap, AgentMsg, encodeAgentMessage } from '../../../src/protocol/channels/main/agent/agent-messages.ts';
import { MainChannel } from '../../../src/protocol/channels/main/main-channel.ts';
import { MainMsg } from '../../../src/protocol/channels/main/main-messages.ts';
import { PlaybackChannel } from '../../../src/protocol/channels/playback/playback-channel.ts';
import { PlaybackMsg } from '../../../src/protocol/channels/playback/playback-messages.ts';
import { PortChannel } from '../../../src/protocol/channels/port/port-channel.ts';
import type { WebdavServer } from '../../../src/protocol/channels/port/port-handler.ts';
import { PortEvent, PortMsg } from '../../../src/protocol/channels/port/port-messages.ts';
import { SpicevmcCap } from '../../../src/protocol/channels/spicevmc/spicevmc-messages.ts';
import { lz4Body, muxFrame, portInitBody, qmpGreeting, qmpLine, uncompressedBody } from '../../unit/channels/port/port-bodies.ts';
import { RecordChannel } from '../../../src/protocol/channels/record/record-channel.ts';
import { RecordMsg } from '../../../src/protocol/channels/record/record-messages.ts';
import { AudioDataMode } from '../../../src/protocol/audio/audio-format.ts';
import { BaseMsg } from '../../../src/protocol/channel/base-messages.ts';
import { LocalDisplaySink } from '../../../src/protocol/display/local-display-sink.ts';
import { mjpegVideoDecoders } from '../../../src/protocol/display/mjpeg-video-decoders.ts';
import { runDecodeJob } from '../../../src/protocol/display/run-decode-job.ts';
import type { ImageDecoder } from '../../../src/protocol/display/image-decode-job.ts';
import { GlzWindow } from '../../../src/protocol/codecs/glz-window.ts';
import { ChannelType } from '../../../src/protocol/link/constants.ts';
import { silentLogger } from '../../../src/protocol/logger.ts';
import { SpiceError } from '../../../src/protocol/wire/errors.ts';
import { WireWriter } from '../../../src/protocol/wire/writer.ts';
import { nodeInflater } from '../../../src/main/node/inflater.ts';
import { nodeJpegDecoder } from '../../../src/main/node/jpeg-node.ts';
import { dataBody, modeBody, opusPacket, qemuModeRaw, recordStartBody, sinePcm, startBody, u32Body, u8Body, volumeBody } from '../../unit/channels/playback/audio-bodies.ts';
import { bytes, initBody, invalOneBody, moveBody, palette, setBody, trailBody, words, halfWords } from '../../unit/channels/cursor/cursor-bodies.ts';
import type { FuzzTarget } from '../harness/fuzz-target.ts';
import { frameMessages, type FramedMessage } from '../harness/mutate.ts';
import { readRecordedOpus } from '../../fixtures/audio/recorded-opus.ts';
import { audioFixturesDir } from '../harness/paths.ts';
import { join } from 'node:path';
import { driveChannel } from './channel-driver.ts';
import { displaySeeds } from './display-seeds.ts';
import { recordedTraffic } from './traffic.ts';

const m = (type: number, body: Uint8Array = new Uint8Array(0)): FramedMessage => ({ type, body });
const w = () => new WireWriter();

/** Base messages every channel handles (SET_ACK, PING, NOTIFY, LIST...), as a server sends them. */
function baseMessages(ownType: number, ownBody: Uint8Array): FramedMessage[] {
  const sub = w().u16(ownType).u32(ownBody.byteLength).bytes(ownBody).finish();
  const list = w().u16(1).u32(6).bytes(sub).finish();
  const notify = 'the server says hello';
  return [
    m(BaseMsg.SET_ACK, w().u32(1).u32(20).finish()),
    m(BaseMsg.PING, w().u32(7).u64(123456789n).bytes(new Uint8Array(16)).finish()),
    m(BaseMsg.NOTIFY, w().u64(1n).u32(1).u32(0).u32(3).u32(notify.length).bytes(new TextEncoder().encode(notify)).u8(0).finish()),
    m(BaseMsg.WAIT_FOR_CHANNELS, w().u8(1).u8(1).u8(0).u64(1n).finish()),
    m(BaseMsg.LIST, list),
    m(BaseMsg.MIGRATE_DATA, new Uint8Array(8)),
  ];
}

const withBase = (messages: FramedMessage[]): Uint8Array => frameMessages([...baseMessages(messages[0].type, messages[0].body), ...messages]);

function cursorSeeds(): Uint8Array[] {
  const color32 = { type: CursorType.COLOR32, width: 2, height: 2, hotX: 1, hotY: 1, unique: 5n, flags: 4, data: bytes(words(0xff0000, 0x00ff00, 0x0000ff, 0xffffff), [0x40, 0x80]) };
  const alpha = { type: CursorType.ALPHA, width: 2, height: 1, data: words(0x80ff0000, 0xff00ff00) };
  const mono = { type: CursorType.MONO, width: 8, height: 2, data: bytes([0xff, 0x00], [0x0f, 0xf0]) };
  const color4 = { type: CursorType.COLOR4, width: 2, height: 2, data: bytes([0x01, 0x23], palette(16, 0, { 1: 0xff0000, 2: 0xff00, 3: 0xff }), [0x00, 0x40]) };
  const color16 = { type: CursorType.COLOR16, width: 2, height: 1, data: bytes(halfWords(0x7c00, 0x001f), [0x00]) };
  return [
    withBase([
      m(101, initBody({ x: 5, y: 6, trailLength: 1, trailFrequency: 2, cursor: color32 })),
      m(103, setBody({ x: 1, y: 2, cursor: alpha })),
      m(103, setBody({ cursor: mono })),
      m(103, setBody({ cursor: color4 })),
      m(103, setBody({ cursor: color16 })),
      m(103, setBody({ cursor: { type: CursorType.COLOR32, width: 0, height: 0, flags: 2, unique: 5n } })),
      m(104, moveBody(7, 8)),
      m(105),
      m(106, trailBody(3, 4)),
      m(107, invalOneBody(5n)),
      m(108),
      m(103, setBody({ cursor: 'none' })),
      m(102),
    ]),
  ];
}

function agentMessages(): Uint8Array[] {
  const caps = (...bits: number[]) => {
    let word = 0;
    for (const b of bits) word |= 1 << b;
    return w().u32(1).u32(word >>> 0).finish();
  };
  const grab = w().u8(0).u8(0).u8(0).u8(0).u32(1).u32(1).u32(2).finish();
  const text = new TextEncoder().encode('guest clipboard text');
  const monitor = w().u32(1).u32(0).u32(1024).u32(768).u32(32).u32(0).u32(0).finish();
  return [
    encodeAgentMessage(AgentMsg.ANNOUNCE_CAPABILITIES, caps(AgentCap.CLIPBOARD_BY_DEMAND, AgentCap.CLIPBOARD_SELECTION, AgentCap.CLIPBOARD_GRAB_SERIAL, AgentCap.MONITORS_CONFIG, AgentCap.MAX_CLIPBOARD, AgentCap.REPLY, AgentCap.GRAPHICS_DEVICE_INFO)),
    encodeAgentMessage(AgentMsg.CLIPBOARD_GRAB, grab),
    encodeAgentMessage(AgentMsg.CLIPBOARD_REQUEST, w().u8(0).u8(0).u8(0).u8(0).u32(1).finish()),
    encodeAgentMessage(AgentMsg.CLIPBOARD, w().u8(0).u8(0).u8(0).u8(0).u32(1).bytes(text).finish()),
    encodeAgentMessage(AgentMsg.CLIPBOARD_RELEASE, w().u8(0).u8(0).u8(0).u8(0).finish()),
    encodeAgentMessage(AgentMsg.MAX_CLIPBOARD, w().i32(1 << 20).finish()),
    encodeAgentMessage(AgentMsg.MONITORS_CONFIG, monitor),
    encodeAgentMessage(AgentMsg.REPLY, w().u32(AgentMsg.MONITORS_CONFIG).u32(1).finish()),
    encodeAgentMessage(AgentMsg.MOUSE_STATE, w().u32(10).u32(20).u32(1).u8(0).finish()),
    encodeAgentMessage(AgentMsg.AUDIO_VOLUME_SYNC, w().u8(0).u8(0).u8(2).u16(100).u16(200).finish()),
    encodeAgentMessage(AgentMsg.GRAPHICS_DEVICE_INFO, w().u32(1).u32(0).u32(0).u32(1).u32(9).bytes(new TextEncoder().encode('pci/0000\0')).finish()),
    encodeAgentMessage(AgentMsg.FILE_XFER_STATUS, w().u32(1).u32(2).finish()),
    encodeAgentMessage(AgentMsg.CLIENT_DISCONNECTED, new Uint8Array(0)),
  ];
}

/** AGENT_DATA messages carrying the agent stream, cut into chunks as the server forwards it. */
function agentData(stream: Uint8Array, chunk: number): FramedMessage[] {
  const out: FramedMessage[] = [];
  for (let o = 0; o < stream.byteLength; o += chunk) out.push(m(MainMsg.AGENT_DATA, stream.subarray(o, o + chunk)));
  return out;
}

function joined(parts: Uint8Array[]): Uint8Array {
  return bytes(...parts);
}

function mainSeeds(): Uint8Array[] {
  const init = w().u32(0x77).u32(1).u32(3).u32(1).u32(1).u32(10).u32(1000).u32(0).finish();
  const name = 'fuzz guest';
  const session = [
    m(MainMsg.INIT, init),
    m(MainMsg.CHANNELS_LIST, w().u32(3).u8(2).u8(0).u8(3).u8(0).u8(4).u8(0).finish()),
    m(MainMsg.MOUSE_MODE, w().u16(3).u16(2).finish()),
    m(MainMsg.MULTI_MEDIA_TIME, w().u32(12345).finish()),
    m(MainMsg.NAME, w().u32(name.length + 1).bytes(new TextEncoder().encode(name)).u8(0).finish()),
    m(MainMsg.UUID, Uint8Array.from({ length: 16 }, (_, i) => i * 17)),
    m(MainMsg.AGENT_TOKEN, w().u32(5).finish()),
    ...agentData(joined(agentMessages()), 64),
    m(MainMsg.AGENT_DISCONNECTED, w().u32(0).finish()),
    m(MainMsg.AGENT_CONNECTED_TOKENS, w().u32(10).finish()),
    ...agentData(joined(agentMessages().slice(0, 3)), 2048),
    m(MainMsg.AGENT_CONNECTED),
    m(MainMsg.MIGRATE_BEGIN, new Uint8Array(8)),
    m(MainMsg.MIGRATE_CANCEL),
    m(MainMsg.MIGRATE_END),
  ];
  return [withBase(session)];
}

function inputsSeeds(): Uint8Array[] {
  return [withBase([m(InputsMsg.INIT, w().u16(2).finish()), m(InputsMsg.KEY_MODIFIERS, w().u16(5).finish()), m(InputsMsg.MOUSE_MOTION_ACK), m(InputsMsg.MOUSE_MOTION_ACK)])];
}

function recordedOpusPackets(): Uint8Array[] {
  return readRecordedOpus(join(audioFixturesDir, 'xspice-opus-440.bin')).packets;
}

/** A RAW stream and an Opus stream as Xspice and QEMU send them, with the guest's mixer messages. */
function playbackSeeds(): Uint8Array[] {
  return [
    withBase([
      m(PlaybackMsg.MODE, qemuModeRaw),
      m(PlaybackMsg.VOLUME, volumeBody(0, 65535)),
      m(PlaybackMsg.MUTE, u8Body(1)),
      m(PlaybackMsg.START, startBody({ time: 1000 })),
      m(PlaybackMsg.DATA, dataBody(1000, sinePcm())),
      m(PlaybackMsg.DATA, dataBody(1010, sinePcm(480, 3000, 440))),
      m(PlaybackMsg.LATENCY, u32Body(400)),
      m(PlaybackMsg.STOP),
    ]),
    withBase([
      m(PlaybackMsg.MODE, modeBody(5, AudioDataMode.OPUS)),
      m(PlaybackMsg.START, startBody({ time: 5 })),
      // Real Opus packets from Xspice (test/fixtures/audio), the first ones of a tone.
      ...recordedOpusPackets().slice(0, 4).map((p, i) => m(PlaybackMsg.DATA, dataBody(5 + 10 * i, p))),
      m(PlaybackMsg.DATA, dataBody(45, opusPacket())),
      m(PlaybackMsg.STOP),
    ]),
  ];
}

function recordSeeds(): Uint8Array[] {
  return [withBase([m(RecordMsg.VOLUME, volumeBody(65535, 65535)), m(RecordMsg.MUTE, u8Body(0)), m(RecordMsg.START, recordStartBody()), m(RecordMsg.STOP), m(RecordMsg.START, recordStartBody({ frequency: 44100 }))])];
}

/** The QMP port as QEMU talks on it, an unknown port with LZ4 data, and folder sharing's mux. */
function portSeeds(): Uint8Array[] {
  const ts = { seconds: 1765000000, microseconds: 5 };
  const { body: lz4 } = lz4Body('log ', 3, 'end');
  return [
    withBase([
      m(PortMsg.INIT, portInitBody('org.qemu.monitor.qmp.0', true)),
      m(PortMsg.DATA, qmpLine(qmpGreeting)),
      m(PortMsg.DATA, qmpLine({ return: {}, id: 1 })),
      m(PortMsg.DATA, qmpLine({ return: { status: 'running', singlestep: false, running: true }, id: 2 })),
      m(PortMsg.DATA, qmpLine({ timestamp: ts, event: 'STOP' })),
      m(PortMsg.DATA, qmpLine({ timestamp: ts, event: 'RESET', data: { guest: false, reason: 'host-qmp-system-reset' } })),
      m(PortMsg.COMPRESSED_DATA, uncompressedBody(qmpLine({ timestamp: ts, event: 'RESUME' }))),
      m(PortMsg.DATA, qmpLine({ error: { class: 'GenericError', desc: 'no' }, id: 3 })),
      m(PortMsg.EVENT, u8Body(PortEvent.CLOSED)),
    ]),
    withBase([m(PortMsg.INIT, portInitBody('org.qemu.console.serial.0', false)), m(PortMsg.EVENT, u8Body(PortEvent.OPENED)), m(PortMsg.COMPRESSED_DATA, lz4), m(PortMsg.EVENT, u8Body(PortEvent.BREAK))]),
  ];
}

function webdavSeeds(): Uint8Array[] {
  const request = 'PROPFIND / HTTP/1.1\r\nHost: localhost\r\nDepth: 1\r\n\r\n';
  const frames = bytes(muxFrame(-995229200n, request.slice(0, 20)), muxFrame(7n, 'GET /a HTTP/1.1\r\n\r\n'), muxFrame(-995229200n, request.slice(20)));
  return [
    withBase([
      m(PortMsg.INIT, portInitBody('org.spice-space.webdav.0', false)),
      m(PortMsg.EVENT, u8Body(PortEvent.OPENED)),
      m(PortMsg.DATA, frames.subarray(0, 13)),
      m(PortMsg.DATA, frames.subarray(13)),
      m(PortMsg.DATA, muxFrame(7n, new Uint8Array(0))),
      m(PortMsg.EVENT, u8Body(PortEvent.CLOSED)),
    ]),
  ];
}

/** A WebDAV server stand-in that answers every request bytes with a small reply and ends on end(). */
const echoWebdav: WebdavServer = {
  describe: () => 'fuzz',
  connect(reply, ended) {
    return { write: (b) => reply(b.subarray(0, 16)), end: () => ended() };
  },
};

/** Channels spicedesk links but does not act on yet: only the base messages matter there. */
function genericSeeds(): Uint8Array[] {
  return [withBase([m(101, w().u32(1).u32(2).finish()), m(102, new Uint8Array(64)), m(103)])];
}

/**
 * localImageDecoder's decoder, with a GLZ window that waits 100 ms (not 20 s) for an image a
 * reference names: that image could come over another display channel, so the wait is by design,
 * and a mutated reference would otherwise make the case look like a hang.
 */
function fuzzImageDecoder(): ImageDecoder {
  const ctx = { glzWindow: new GlzWindow({ waitTimeoutMs: 100 }), inflater: nodeInflater, jpeg: nodeJpegDecoder };
  return { transfersJobs: false, decode: (job) => runDecodeJob(job, ctx), close: () => ctx.glzWindow.close() };
}

const displayTarget: FuzzTarget = {
  name: 'display',
  what: 'display channel: framing, base messages, every display message, the image decoders and the compositor',
  shape: 'messages',
  seeds: () => [...displaySeeds(), ...recordedTraffic('display')],
  quickCases: 300,
  // INVAL_ALL_PIXMAPS waits up to 5 s for the display channels its wait list names (another
  // channel's messages may still be on their way): by design, so not a hang.
  timeMs: 8000,
  async run(input) {
    const decoder = fuzzImageDecoder();
    // MJPEG announced, so that stream messages reach the pipeline's video streams.
    const sink = new LocalDisplaySink({ logger: silentLogger, decoder, video: mjpegVideoDecoders(decoder) });
    try {
      await driveChannel((host) => new DisplayChannel(host, 0, sink), input, { channelCaps: [6], settle: () => sink.pipeline.settle(0) });
    } finally {
      sink.close();
    }
  },
};

const cursorTarget: FuzzTarget = {
  name: 'cursor',
  what: 'cursor channel: every cursor message, the cursor decoder and cache',
  shape: 'messages',
  seeds: () => [...cursorSeeds(), ...recordedTraffic('cursor')],
  quickCases: 600,
  async run(input) {
    await driveChannel((host) => new CursorChannel(host, 0), input);
  },
};

const mainTarget: FuzzTarget = {
  name: 'main',
  what: 'main channel with the guest agent: INIT, lists, mouse modes, name/UUID, agent data (clipboard, monitors, files)',
  shape: 'messages',
  seeds: () => [...mainSeeds(), ...recordedTraffic('main')],
  quickCases: 600,
  async run(input) {
    await driveChannel((host) => new MainChannel(host), input, { channelCaps: [1, 2] });
  },
};

const inputsTarget: FuzzTarget = {
  name: 'inputs',
  what: 'inputs channel: INIT, KEY_MODIFIERS, MOUSE_MOTION_ACK',
  shape: 'messages',
  seeds: () => [...inputsSeeds(), ...recordedTraffic('inputs')],
  quickCases: 300,
  async run(input) {
    await driveChannel((host) => new InputsChannel(host, 0), input, { channelCaps: [0] });
  },
};

const allAudio = { opusDecode: true, opusEncode: true, volume: true, latency: true };

const playbackTarget: FuzzTarget = {
  name: 'playback',
  what: 'playback channel: MODE, START, DATA (RAW and Opus packets, not decoded), STOP, VOLUME, MUTE, LATENCY',
  shape: 'messages',
  seeds: () => [...playbackSeeds(), ...recordedTraffic('playback')],
  quickCases: 300,
  async run(input) {
    await driveChannel((host) => new PlaybackChannel(host, 0, allAudio), input, { channelCaps: [1, 3] });
  },
};

const recordTarget: FuzzTarget = {
  name: 'record',
  what: 'record channel: START, STOP, VOLUME, MUTE, and a microphone packet sent after each message',
  shape: 'messages',
  seeds: () => [...recordSeeds(), ...recordedTraffic('record')],
  quickCases: 300,
  async run(input) {
    await driveChannel((host) => {
      const channel = new RecordChannel(host, 0, allAudio);
      // Whatever the server said, sendAudio must frame or drop, never throw.
      channel.events.on('message', () => channel.sendAudio(sinePcm(), AudioDataMode.RAW, 1));
      return channel;
    }, input, { channelCaps: [1, 2] });
  },
};

const portTarget = (name: string, type: typeof ChannelType.PORT | typeof ChannelType.WEBDAV, seeds: () => Uint8Array[]): FuzzTarget => ({
  name,
  what: `${name} channel: PORT_INIT, PORT_EVENT, data (LZ4), and its handler (QMP lines, the webdav mux)`,
  shape: 'messages',
  seeds: () => [...seeds(), ...recordedTraffic(name)],
  quickCases: 300,
  async run(input) {
    await driveChannel((host) => new PortChannel(host, type, 0, { webdav: echoWebdav }), input, { channelCaps: [SpicevmcCap.DATA_COMPRESS_LZ4] });
  },
});

const genericTarget = (name: string, type: number): FuzzTarget => ({
  name,
  what: `${name} channel (linked, its own messages not acted on yet): framing and base messages`,
  shape: 'messages',
  seeds: () => [...genericSeeds(), ...recordedTraffic(name)],
  quickCases: 150,
  async run(input) {
    await driveChannel((host) => new GenericChannel(host, type, 0), input);
  },
});

/** The agent stream alone (the bytes inside AGENT_DATA), cut into chunks by the input's first byte. */
const agentTarget: FuzzTarget = {
  name: 'agent',
  what: 'guest agent stream: chunk reassembly, every agent message the guest sends',
  shape: 'bytes',
  seeds: () => [joined([Uint8Array.of(64), ...agentMessages()]), joined([Uint8Array.of(255), ...agentMessages().slice(0, 2)])],
  quickCases: 1500,
  run(input) {
    const agent = new Agent({ sendAgentData: () => {}, log: silentLogger });
    agent.transport.setTokens(10);
    agent.connect();
    const chunk = Math.max(1, input[0] ?? 1) * 8;
    for (let o = 1; o < input.byteLength; o += chunk) agent.receive(input.subarray(o, o + chunk));
    agent.close('end of the fuzz input');
    // The agent reports a malformed message and goes on; counted here as the input refused.
    if (agent.malformedCount > 0) throw new SpiceError('protocol', `the guest agent stream had ${agent.malformedCount} malformed messages`);
  },
};

export const channelTargets: FuzzTarget[] = [
  displayTarget,
  cursorTarget,
  mainTarget,
  agentTarget,
  inputsTarget,
  playbackTarget,
  recordTarget,
  portTarget('port', ChannelType.PORT, portSeeds),
  portTarget('webdav', ChannelType.WEBDAV, webdavSeeds),
  genericTarget('smartcard', ChannelType.SMARTCARD),
];
