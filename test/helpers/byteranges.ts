// Reads a multipart/byteranges body (RFC 9110 14.6) the way a client must: split at the
// boundary, each part's headers, then exactly the bytes its Content-Range names. Strict on
// purpose: a missing CRLF, a wrong length or bytes after the closing boundary fail the read.

export interface BytesPart {
  contentType: string;
  start: number;
  end: number;
  size: number;
  bytes: Buffer;
}

/** The parts of `body`; `boundary` from the reply's Content-Type, else read from the body's first line. */
export function parseByteranges(body: Buffer, boundary?: string): BytesPart[] {
  const b = boundary ?? /^--([^\r\n]+)\r\n/.exec(body.toString('latin1', 0, 200))?.[1];
  if (!b) throw new Error(`no boundary at the start of the body: ${JSON.stringify(body.toString('latin1', 0, 80))}`);
  const parts: BytesPart[] = [];
  let at = 0;
  for (;;) {
    const delimiter = `${parts.length ? '\r\n' : ''}--${b}`;
    if (body.toString('latin1', at, at + delimiter.length) !== delimiter) throw new Error(`expected the boundary at byte ${at}`);
    at += delimiter.length;
    if (body.toString('latin1', at, at + 4) === '--\r\n') {
      if (at + 4 !== body.byteLength) throw new Error(`${body.byteLength - at - 4} bytes after the closing boundary`);
      return parts;
    }
    const headEnd = body.indexOf('\r\n\r\n', at);
    if (body.toString('latin1', at, at + 2) !== '\r\n' || headEnd < 0) throw new Error(`a part's headers at byte ${at} are not closed`);
    const headers = new Map(
      body
        .toString('latin1', at + 2, headEnd)
        .split('\r\n')
        .map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()] as const),
    );
    const range = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(headers.get('content-range') ?? '');
    if (!range) throw new Error(`a part without a Content-Range: ${JSON.stringify([...headers])}`);
    const [start, end, size] = [Number(range[1]), Number(range[2]), Number(range[3])];
    at = headEnd + 4;
    parts.push({ contentType: headers.get('content-type') ?? '', start, end, size, bytes: body.subarray(at, at + end - start + 1) });
    at += end - start + 1;
  }
}
