// What the command line honours on the sound channels. Opus is decoded by opus-decoder (libopus in
// WebAssembly, bundled, loaded by the first Opus packet: opus-playback.ts), so OPUS is announced.
// No encoder: `do speak` sends RAW. A file has no volume and no latency to keep, so neither is
// announced (the server then sends no VOLUME/MUTE/LATENCY, and `do listen` records what the guest plays).
import type { AudioCapabilities } from '../../protocol/audio/audio-format.ts';

export const cliAudioCapabilities: AudioCapabilities = Object.freeze({ opusDecode: true, opusEncode: false, volume: false, latency: false });
