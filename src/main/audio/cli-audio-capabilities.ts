// What the command line honours on the sound channels. Opus is decoded by opus-decoder (libopus in
// WebAssembly, bundled, loaded by the first Opus packet: opus-playback.ts), so OPUS is announced.
// No encoder: `do speak` sends RAW. Both directions announce VOLUME and apply the guest's volume
// and mute themselves, as a player does (QEMU leaves them to a client that announces VOLUME, and
// to nobody otherwise): `do listen` writes what a listener would hear (playback), `do speak` sends
// at the guest's capture level (record, recordVolume). Playback LATENCY is not announced: nothing
// is played, so there is no output latency to hold to a floor.
import type { AudioCapabilities } from '../../protocol/audio/audio-format.ts';

export const cliAudioCapabilities: AudioCapabilities = Object.freeze({ opusDecode: true, opusEncode: false, volume: true, latency: false, recordVolume: true });
