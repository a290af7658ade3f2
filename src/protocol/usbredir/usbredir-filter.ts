// usbredirfilter rule strings and their evaluation, as usbredir's usbredirparser/usbredirfilter.c
// does it (the guest sends its rules in filter_filter; remote-viewer's --spice-usbredir-* options
// and the .vv `usb-filter` use the same strings).
// - A rule is `class,vendor,product,bcdDevice,allow`; -1 means any. Rules and fields are split as
//   strtok does: the separators are character SETS (the wire and spice-gtk use "," and "|",
//   QEMU's filter property ":" and "|"), and empty pieces are skipped, so "||a||" is one rule.
// - Each field is read as C's strtol with base 0 (leading white space, a sign, 0x hex, a leading 0
//   octal, clamped to the 64-bit range) stored in a C int (the low 32 bits); the whole field must
//   be consumed. Class must be -1..255, the ids and version -1..65535; allow is any number.
// - Evaluation: a device-class pass (skipped for class 0x00 and 0xEF), then one pass per
//   interface. A pass takes the first rule that matches; a deny ends the check (blocked); a pass
//   that matches nothing ends it too (no-match) unless the default-allow flag is set. Without the
//   dont-skip-non-boot-HID flag, an interface 3/0/0 (HID, not boot) of a device with more than one
//   interface is not checked; if that skips every interface, the check runs again without skipping.

export interface UsbredirFilterRule {
  /** 0-255, or -1 for any. */
  deviceClass: number;
  /** 0-65535, or -1 for any. */
  vendorId: number;
  productId: number;
  deviceVersionBcd: number;
  allow: boolean;
}

export const UsbredirFilterFlag = { defaultAllow: 0x01, dontSkipNonBootHid: 0x02 } as const;

/** allowed (0), blocked by a rule (-EPERM), no rule matched in a pass (-ENOENT), invalid rules (-EINVAL). */
export type UsbredirFilterVerdict = 'allowed' | 'blocked' | 'no-match' | 'invalid-rules';

export interface UsbredirFilterDevice {
  deviceClass: number;
  deviceSubclass: number;
  deviceProtocol: number;
  vendorId: number;
  productId: number;
  deviceVersionBcd: number;
  interfaces: readonly { class: number; subclass: number; protocol: number }[];
}

export class UsbredirFilterError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsbredirFilterError';
  }
}

const C_SPACE = ' \t\n\v\f\r';

/** strtok's pieces: split at any character of `separators`, empty pieces dropped. */
function strtokPieces(text: string, separators: string): string[] {
  const out: string[] = [];
  let piece = '';
  for (const ch of text) {
    if (separators.includes(ch)) {
      if (piece) out.push(piece);
      piece = '';
    } else {
      piece += ch;
    }
  }
  if (piece) out.push(piece);
  return out;
}

const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN = -(1n << 63n);

/** C's strtol(token, &end, 0) assigned to an int; null when it does not consume the whole token. */
function cStrtolInt(token: string): number | null {
  let i = 0;
  while (i < token.length && C_SPACE.includes(token[i])) i++;
  let negative = false;
  if (token[i] === '+' || token[i] === '-') negative = token[i++] === '-';
  let base = 10;
  if (token[i] === '0' && (token[i + 1] === 'x' || token[i + 1] === 'X') && /^[0-9a-fA-F]$/.test(token[i + 2] ?? '')) {
    base = 16;
    i += 2;
  } else if (token[i] === '0') {
    base = 8;
  }
  const digitOf = (ch: string): number => {
    const d = parseInt(ch, 36);
    return Number.isNaN(d) || d >= base ? -1 : d;
  };
  const start = i;
  let value = 0n;
  while (i < token.length && digitOf(token[i]) >= 0) {
    value = value * BigInt(base) + BigInt(digitOf(token[i]));
    if (value > INT64_MAX + 1n) value = INT64_MAX + 1n; // saturated: only "past the range" matters
    i++;
  }
  if (i === start) return null; // no digits: strtol leaves end at the token's start
  if (i !== token.length) return null;
  let signed = negative ? -value : value;
  if (signed > INT64_MAX) signed = INT64_MAX;
  if (signed < INT64_MIN) signed = INT64_MIN;
  return Number(BigInt.asIntN(32, signed));
}

function ruleProblem(rule: UsbredirFilterRule): string | null {
  const inRange = (v: number, max: number): boolean => Number.isInteger(v) && v >= -1 && v <= max;
  if (!inRange(rule.deviceClass, 255)) return `class ${rule.deviceClass} is not -1 or 0-255`;
  if (!inRange(rule.vendorId, 65535)) return `vendor ${rule.vendorId} is not -1 or 0-65535`;
  if (!inRange(rule.productId, 65535)) return `product ${rule.productId} is not -1 or 0-65535`;
  if (!inRange(rule.deviceVersionBcd, 65535)) return `version ${rule.deviceVersionBcd} is not -1 or 0-65535`;
  return null;
}

/** usbredirfilter_verify: true when every rule's values are in range. */
export function usbredirFilterRulesValid(rules: readonly UsbredirFilterRule[]): boolean {
  return rules.every((r) => ruleProblem(r) === null);
}

/** usbredirfilter_string_to_rules. Throws a UsbredirFilterError (the C library's -EINVAL) naming the bad rule. */
export function parseUsbredirFilter(text: string, tokenSeparators = ',', ruleSeparators = '|'): UsbredirFilterRule[] {
  if (!tokenSeparators || !ruleSeparators) throw new UsbredirFilterError('usbredir filter: the separators must not be empty');
  const end = text.indexOf('\0');
  const rules: UsbredirFilterRule[] = [];
  for (const ruleText of strtokPieces(end < 0 ? text : text.slice(0, end), ruleSeparators)) {
    const tokens = strtokPieces(ruleText, tokenSeparators);
    const values = tokens.map(cStrtolInt);
    const bad = values.findIndex((v) => v === null);
    if (bad >= 0 && bad < 5) throw new UsbredirFilterError(`usbredir filter rule "${ruleText}": "${tokens[bad]}" is not a number`);
    if (tokens.length !== 5) throw new UsbredirFilterError(`usbredir filter rule "${ruleText}": ${tokens.length} fields, a rule has 5 (class, vendor, product, version, allow)`);
    const [deviceClass, vendorId, productId, deviceVersionBcd, allow] = values as number[];
    const rule = { deviceClass, vendorId, productId, deviceVersionBcd, allow: allow !== 0 };
    const problem = ruleProblem(rule);
    if (problem) throw new UsbredirFilterError(`usbredir filter rule "${ruleText}": ${problem}`);
    rules.push(rule);
  }
  return rules;
}

/** usbredirfilter_rules_to_string: the first character of each separator set is used. */
export function usbredirFilterToString(rules: readonly UsbredirFilterRule[], tokenSeparators = ',', ruleSeparators = '|'): string {
  const bad = rules.map(ruleProblem).find((p) => p !== null);
  if (bad) throw new UsbredirFilterError(`usbredir filter: ${bad}`);
  if (!tokenSeparators || !ruleSeparators) throw new UsbredirFilterError('usbredir filter: the separators must not be empty');
  const t = tokenSeparators[0];
  const hex = (v: number, digits: number): string => (v === -1 ? '-1' : `0x${v.toString(16).padStart(digits, '0')}`);
  return rules
    .map((r) => [hex(r.deviceClass, 2), hex(r.vendorId, 4), hex(r.productId, 4), hex(r.deviceVersionBcd, 4), r.allow ? '1' : '0'].join(t))
    .join(ruleSeparators[0]);
}

function checkOne(rules: readonly UsbredirFilterRule[], deviceClass: number, d: UsbredirFilterDevice, defaultAllow: boolean): UsbredirFilterVerdict {
  for (const r of rules) {
    if ((r.deviceClass === -1 || r.deviceClass === deviceClass) && (r.vendorId === -1 || r.vendorId === d.vendorId)
      && (r.productId === -1 || r.productId === d.productId) && (r.deviceVersionBcd === -1 || r.deviceVersionBcd === d.deviceVersionBcd)) {
      return r.allow ? 'allowed' : 'blocked';
    }
  }
  return defaultAllow ? 'allowed' : 'no-match';
}

/** usbredirfilter_check. */
export function checkUsbredirFilter(rules: readonly UsbredirFilterRule[], device: UsbredirFilterDevice, flags = 0): UsbredirFilterVerdict {
  if (!usbredirFilterRulesValid(rules)) return 'invalid-rules';
  const d = {
    ...device,
    deviceClass: device.deviceClass & 0xff, vendorId: device.vendorId & 0xffff, productId: device.productId & 0xffff,
    deviceVersionBcd: device.deviceVersionBcd & 0xffff,
  };
  const defaultAllow = (flags & UsbredirFilterFlag.defaultAllow) !== 0;
  if (d.deviceClass !== 0x00 && d.deviceClass !== 0xef) {
    const verdict = checkOne(rules, d.deviceClass, d, defaultAllow);
    if (verdict !== 'allowed') return verdict;
  }
  const count = d.interfaces.length;
  let skipped = 0;
  for (const f of d.interfaces) {
    if (!(flags & UsbredirFilterFlag.dontSkipNonBootHid) && count > 1 && (f.class & 0xff) === 0x03 && (f.subclass & 0xff) === 0 && (f.protocol & 0xff) === 0) {
      skipped++;
      continue;
    }
    const verdict = checkOne(rules, f.class & 0xff, d, defaultAllow);
    if (verdict !== 'allowed') return verdict;
  }
  if (count > 0 && skipped === count) return checkUsbredirFilter(rules, device, flags | UsbredirFilterFlag.dontSkipNonBootHid);
  return 'allowed';
}

/** What a verdict means for the user. */
export function describeFilterVerdict(verdict: UsbredirFilterVerdict): string {
  switch (verdict) {
    case 'allowed': return 'allowed';
    case 'blocked': return 'blocked by a rule';
    case 'no-match': return 'no rule matches it (denied)';
    case 'invalid-rules': return 'the rules are invalid';
  }
}
