// PEM certificate blocks found in linear time. A regular expression such as
// /BEGIN[\s\S]*?END/g rescans the rest of the text from every BEGIN that has no END after it,
// which is quadratic: a megabyte of BEGIN lines in a .vv file or a CA file took most of a minute.
const PEM_BEGIN = '-----BEGIN CERTIFICATE-----';
const PEM_END = '-----END CERTIFICATE-----';

/** Every "-----BEGIN CERTIFICATE----- ... -----END CERTIFICATE-----" block, in order. */
export function pemCertificateBlocks(text: string): string[] {
  const blocks: string[] = [];
  let from = 0;
  for (;;) {
    const begin = text.indexOf(PEM_BEGIN, from);
    if (begin < 0) break;
    const end = text.indexOf(PEM_END, begin + PEM_BEGIN.length);
    if (end < 0) break;
    from = end + PEM_END.length;
    blocks.push(text.slice(begin, from));
  }
  return blocks;
}

/** Whether the text holds at least one whole certificate block. */
export function holdsPemCertificate(text: string): boolean {
  const begin = text.indexOf(PEM_BEGIN);
  return begin >= 0 && text.indexOf(PEM_END, begin + PEM_BEGIN.length) >= 0;
}
