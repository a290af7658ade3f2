// The little XML that WebDAV request bodies carry (PROPFIND, PROPPATCH, LOCK): elements with
// namespaces, attributes and text, read into a tree. No DTDs, entities beyond the five predefined
// and numeric ones, or processing instructions beyond the declaration: a body that has them is
// refused (400), so nothing is fetched or expanded. Bounded by the caller's body limit and a depth.
export interface XmlElement {
  /** Namespace URI ('' for none). */
  ns: string;
  name: string;
  children: XmlElement[];
  text: string;
}

export class XmlError extends Error {
  override name = 'XmlError';
}

const MAX_DEPTH = 64;

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function unescape(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (all, e: string) => {
    if (e[0] === '#') {
      const code = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      if (!(code > 0 && code <= 0x10ffff)) throw new XmlError(`the character reference ${all}`);
      return String.fromCodePoint(code);
    }
    const v = ENTITIES[e];
    if (v === undefined) throw new XmlError(`the entity ${all} (only the predefined ones)`);
    return v;
  });
}

export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&${Object.keys(ENTITIES).find((k) => ENTITIES[k] === c)};`);
}

/** Parses a document into its root element. Throws XmlError naming what is wrong. */
export function parseXml(source: string): XmlElement {
  let i = 0;
  const stack: { el: XmlElement; prefixes: Map<string, string>; raw: string }[] = [];
  let root: XmlElement | null = null;
  const prefixesNow = () => stack[stack.length - 1]?.prefixes ?? new Map([['xml', 'http://www.w3.org/XML/1998/namespace']]);
  while (i < source.length) {
    const lt = source.indexOf('<', i);
    const text = source.slice(i, lt < 0 ? source.length : lt);
    if (text.trim()) {
      if (!stack.length) throw new XmlError('text outside the root element');
      stack[stack.length - 1].el.text += unescape(text);
    }
    if (lt < 0) break;
    if (source.startsWith('<?', lt)) {
      const end = source.indexOf('?>', lt);
      if (end < 0 || !/^<\?xml[\s?]/.test(source.slice(lt, lt + 6)) || lt !== source.search(/\S/)) throw new XmlError('a processing instruction');
      i = end + 2;
    } else if (source.startsWith('<!--', lt)) {
      const end = source.indexOf('-->', lt);
      if (end < 0) throw new XmlError('an unterminated comment');
      i = end + 3;
    } else if (source.startsWith('<![CDATA[', lt)) {
      const end = source.indexOf(']]>', lt);
      if (end < 0 || !stack.length) throw new XmlError('a CDATA section out of place');
      stack[stack.length - 1].el.text += source.slice(lt + 9, end);
      i = end + 3;
    } else if (source.startsWith('<!', lt)) {
      throw new XmlError('a DTD or declaration (not taken)');
    } else if (source[lt + 1] === '/') {
      const end = source.indexOf('>', lt);
      const name = source.slice(lt + 2, end).trim();
      const top = stack.pop();
      if (end < 0 || !top || top.raw !== name) throw new XmlError(`the closing tag </${name}> does not match`);
      i = end + 1;
    } else {
      const end = source.indexOf('>', lt);
      if (end < 0) throw new XmlError('an unterminated tag');
      let body = source.slice(lt + 1, end);
      const selfClosing = body.endsWith('/');
      if (selfClosing) body = body.slice(0, -1);
      const m = /^([^\s/>]+)([\s\S]*)$/.exec(body);
      if (!m) throw new XmlError('a tag without a name');
      const raw = m[1];
      const attrs = new Map<string, string>();
      const attrRe = /\s*([^\s=]+)\s*=\s*("([^"]*)"|'([^']*)')/gy;
      let rest = m[2];
      let am: RegExpExecArray | null;
      let read = 0;
      while ((am = attrRe.exec(rest))) {
        attrs.set(am[1], unescape(am[3] ?? am[4] ?? ''));
        read = attrRe.lastIndex;
      }
      rest = rest.slice(read);
      if (rest.trim()) throw new XmlError(`unreadable attributes in <${raw}>`);
      const prefixes = new Map(prefixesNow());
      for (const [k, v] of attrs) {
        if (k === 'xmlns') prefixes.set('', v);
        else if (k.startsWith('xmlns:')) {
          // Namespaces in XML 1.0: a prefix cannot be bound to the empty name (only the default can).
          if (v === '') throw new XmlError(`the prefix ${k.slice(6)}: declared with an empty namespace`);
          prefixes.set(k.slice(6), v);
        }
      }
      const colon = raw.indexOf(':');
      const prefix = colon < 0 ? '' : raw.slice(0, colon);
      const ns = prefixes.get(prefix);
      if (ns === undefined && prefix !== '') throw new XmlError(`the undeclared prefix ${prefix}:`);
      const el: XmlElement = { ns: ns ?? '', name: colon < 0 ? raw : raw.slice(colon + 1), children: [], text: '' };
      if (stack.length) stack[stack.length - 1].el.children.push(el);
      else if (root) throw new XmlError('a second root element');
      else root = el;
      if (!selfClosing) {
        if (stack.length >= MAX_DEPTH) throw new XmlError(`elements nested deeper than ${MAX_DEPTH}`);
        stack.push({ el, prefixes, raw });
      }
      i = end + 1;
    }
  }
  if (stack.length) throw new XmlError(`<${stack[stack.length - 1].raw}> is not closed`);
  if (!root) throw new XmlError('no element');
  return root;
}

export const DAV = 'DAV:';

export function child(el: XmlElement, name: string, ns = DAV): XmlElement | undefined {
  return el.children.find((c) => c.ns === ns && c.name === name);
}
