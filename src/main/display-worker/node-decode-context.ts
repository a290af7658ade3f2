// What a thread of the CLI decodes images with: the session's GLZ window and src/protocol's codecs,
// with Node's inflater and JPEG decoder. Node has no Content-Security-Policy to refuse
// WebAssembly: QUIC and LZ always use it where it compiles. A pool worker (decode-worker-entry.ts)
// and capture's own thread (in-thread-decoders-entry.ts) each make one.
import { GlzWindow } from '../../protocol/codecs/glz-window.ts';
import { loadWasmDecoders } from '../../protocol/codecs/wasm/wasm-decoders.ts';
import type { DecodeContext } from '../../protocol/display/image-decode-job.ts';
import { nodeInflater } from '../node/inflater.ts';
import { nodeJpegDecoder } from '../node/jpeg-node.ts';

export function nodeDecodeContext(): DecodeContext {
  return { glzWindow: new GlzWindow(), inflater: nodeInflater, jpeg: nodeJpegDecoder, wasm: loadWasmDecoders() };
}
