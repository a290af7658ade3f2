// A reader for the INI dialect of GLib's GKeyFile, which is what remote-viewer uses for .vv files.
// Matching its rules (rather than a generic INI parser's) means a file that remote-viewer reads is
// read the same way here:
// - `#` starts a comment line; leading blanks are skipped. There is no line continuation.
// - `[name]` starts a group; a repeated group continues the earlier one.
// - `key = value`: blanks around `=` are dropped, trailing blanks of the value are kept; a repeated
//   key replaces the earlier value.
// - values use the escapes \s \t \n \r \\ (and \; inside lists); a lone trailing backslash or any
//   other escape is an error.
// Two tolerances GKeyFile lacks: a UTF-8 byte-order mark, and `;` comment lines (GKeyFile reads
// them as keys named ";..." that nothing looks up, so skipping them changes nothing).
import { SpiceError } from '../wire/errors.ts';

export const VV_PREFIX = '.vv file';

export interface KeyFileEntry {
  key: string;
  /** The value as written, escapes not yet processed. */
  raw: string;
  line: number;
}

export interface KeyFileGroup {
  name: string;
  line: number;
  entries: Map<string, KeyFileEntry>;
}

export interface KeyFile {
  groups: Map<string, KeyFileGroup>;
  /** Keys given more than once in a group; `line` is the one that counts (the last). */
  repeated: Array<{ group: string; key: string; line: number }>;
}

function fail(message: string): never {
  throw new SpiceError('usage', `${VV_PREFIX}: ${message}`);
}

const isBlank = (c: string): boolean => c === ' ' || c === '\t';

/** Parse the line structure. Values stay raw; see unescapeValue. */
export function readKeyFile(text: string): KeyFile {
  const groups = new Map<string, KeyFileGroup>();
  const repeated: KeyFile['repeated'] = [];
  let current: KeyFileGroup | undefined;
  const body = text.startsWith('\ufeff') ? text.slice(1) : text;
  const lines = body.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    let line = lines[i];
    if (line.endsWith('\r')) line = line.slice(0, -1);
    let start = 0;
    while (start < line.length && isBlank(line[start])) start++;
    const content = line.slice(start);
    if (content === '' || content.startsWith('#') || content.startsWith(';')) continue;

    if (content.startsWith('[')) {
      const close = content.indexOf(']');
      const tail = close < 0 ? '' : content.slice(close + 1);
      if (close < 0 || ![...tail].every(isBlank)) {
        fail(`line ${lineNo} starts with "[" but is not a [group] header`);
      }
      const name = content.slice(1, close);
      if (name === '' || name.includes('[')) fail(`line ${lineNo} has an invalid group name`);
      current = groups.get(name);
      if (!current) {
        current = { name, line: lineNo, entries: new Map() };
        groups.set(name, current);
      }
      continue;
    }

    const eq = content.indexOf('=');
    if (eq <= 0) {
      // Not quoted: a mangled line may hold a password.
      fail(`line ${lineNo} is not a [group] header, a key=value pair or a # comment`);
    }
    let keyEnd = eq;
    while (keyEnd > 0 && isBlank(content[keyEnd - 1])) keyEnd--;
    const key = content.slice(0, keyEnd);
    if (!isKeyName(key)) fail(`line ${lineNo} has an invalid key name "${key}"`);
    if (!current) fail(`line ${lineNo}: key "${key}" comes before the first [group] header`);
    let valueStart = eq + 1;
    while (valueStart < content.length && isBlank(content[valueStart])) valueStart++;
    if (current.entries.has(key)) repeated.push({ group: current.name, key, line: lineNo });
    current.entries.set(key, { key, raw: content.slice(valueStart), line: lineNo });
  }
  return { groups, repeated };
}

/** GKeyFile key names: no `=`, `[` or `]`, except a trailing `[locale]`. */
function isKeyName(key: string): boolean {
  return key !== '' && /^[^=[\]]+(\[[A-Za-z0-9_.@-]+\])?$/.test(key);
}

export type Unescaped =
  | { ok: true; text: string; items: string[] }
  | { ok: false; problem: 'trailing-backslash' | 'bad-escape'; sequence: string };

/**
 * Process GKeyFile escapes. With `separators`, the value is also cut into list items at each
 * unescaped separator (an escaped one, like `\;`, stays in the item).
 */
export function unescapeValue(raw: string, separators = ''): Unescaped {
  let text = '';
  let item = '';
  const items: string[] = [];
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (c !== '\\') {
      text += c;
      if (separators.includes(c)) {
        items.push(item);
        item = '';
      } else {
        item += c;
      }
      continue;
    }
    i++;
    if (i >= raw.length) return { ok: false, problem: 'trailing-backslash', sequence: '\\' };
    const e = raw[i];
    let out: string;
    if (e === 's') out = ' ';
    else if (e === 'n') out = '\n';
    else if (e === 't') out = '\t';
    else if (e === 'r') out = '\r';
    else if (e === '\\') out = '\\';
    else if (separators !== '' && separators.includes(e)) out = e;
    else return { ok: false, problem: 'bad-escape', sequence: `\\${e}` };
    text += out;
    item += out;
  }
  // As in GKeyFile, a trailing separator does not make an empty last item.
  if (item !== '') items.push(item);
  return { ok: true, text, items };
}
