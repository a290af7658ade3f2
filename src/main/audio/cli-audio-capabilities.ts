// What the command line honours on the sound channels. Opus is decoded by opus-decoder (libopus in
// WebAssembly, bundled, loaded by the first Opus packet: opus-playback.ts), so OPUS is announced.
// No encoder: `do speak` sends RAW. `do listen` records what the guest plays as it comes: playback
// VOLUME and LATENCY are not announced (the server then sends neither). `do speak` applies the
// guest's capture VOLUME/MUTE (QEMU leaves that to the client, as the page does), so the record
// channel announces VOLUME (recordVolume).
import type { AudioCapabilities } from '../../protocol/audio/audio-format.ts';

export const cliAudioCapabilities: AudioCapabilities = Object.freeze({ opusDecode: true, opusEncode: false, volume: false, latency: false, recordVolume: true });
