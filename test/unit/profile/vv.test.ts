import { describe, expect, it } from 'vitest';
import { asksToBeDeleted, parseVvBytes, parseVvFile } from '../../../src/protocol/profile/index.ts';
import { SpiceError } from '../../../src/protocol/wire/errors.ts';

function usageError(f: () => unknown): SpiceError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(SpiceError);
    expect((e as SpiceError).kind).toBe('usage');
    return e as SpiceError;
  }
  throw new Error('expected a usage error, but the call succeeded');
}

/** A file with the given lines after a minimal valid [virt-viewer] head. */
const withHead = (...lines: string[]): string => ['[virt-viewer]', 'type=spice', 'host=h', 'port=5900', ...lines, ''].join('\n');

// Shaped like what Proxmox VE's spiceproxy API returns (issue totoshko88/RustConn#13 lists the keys).
const PROXMOX_TICKET = 'c2aF9kQ7xLm3Zp0V';
const PROXMOX = [
  '[virt-viewer]',
  'secure-attention=Ctrl+Alt+Ins',
  'release-cursor=Ctrl+Alt+R',
  'toggle-fullscreen=Shift+F11',
  'title=VM 100 - debian',
  'delete-this-file=1',
  'proxy=http://pve1.example.lan:3128',
  'type=spice',
  'tls-port=61000',
  'host=pvespiceproxy:65f1a2b3:100:pve1::4d2f0c8e1b9a7d6c5e4f3a2b1c0d9e8f',
  `password=${PROXMOX_TICKET}`,
  'host-subject=OU=PVE Cluster Node,O=Proxmox Virtual Environment,CN=pve1.example.lan',
  'ca=-----BEGIN CERTIFICATE-----\\nMIIBszCCAVmgAwIBAgIUX\\nQUJDREVGRw==\\n-----END CERTIFICATE-----\\n',
  '',
].join('\n');

// Shaped like an oVirt console.vv (keys as in oVirt's generator and OpenNebula/one#1262).
const OVIRT_TOKEN = 'sso-4f1c9a7b2e';
const OVIRT = [
  '[virt-viewer]',
  'type=spice',
  'host=192.0.2.20',
  'port=-1',
  'password=tkt-8x2q',
  '# Password is valid for 120 seconds.',
  'delete-this-file=1',
  'fullscreen=0',
  'title=rhel9-vm:%d - Press SHIFT+F12 to Release Cursor',
  'toggle-fullscreen=shift+f11',
  'release-cursor=shift+f12',
  'secure-attention=ctrl+alt+end',
  'tls-port=5901',
  'enable-smartcard=0',
  'enable-usb-autoshare=1',
  'usb-filter=-1,60186,10000,256,1|8,-1,-1,-1,1|-1,-1,-1,-1,0',
  'tls-ciphers=DEFAULT',
  'host-subject=O=example.org,CN=node1.example.org',
  'ca=-----BEGIN CERTIFICATE-----\\nMIIDxTCCAq2gAwIBAgICEAAw\\n-----END CERTIFICATE-----\\n',
  'secure-channels=main;inputs;cursor;playback;record;display;smartcard;usbredir',
  'versions=rhev-win64:2.0-160;rhev-win32:2.0-160;rhel8:7.0-3',
  'newer-version-url=http://www.ovirt.org/documentation/admin-guide/virt/console-client-resources',
  '',
  '[ovirt]',
  'host=engine.example.org:443',
  'vm-guid=2ab4f8c4-2d0b-4c55-9a3e-1f1b5b8c7d6e',
  `sso-token=${OVIRT_TOKEN}`,
  'admin=1',
  'ca=-----BEGIN CERTIFICATE-----\\nMIIEengine\\n-----END CERTIFICATE-----\\n',
  '',
].join('\n');

describe('parseVvFile: real-world shapes', () => {
  it('reads a Proxmox file: ticket host, TLS port, proxy, CA and hotkeys', () => {
    const p = parseVvFile(PROXMOX);
    expect(p.source).toBe('vv');
    expect(p.host).toBe('pvespiceproxy:65f1a2b3:100:pve1::4d2f0c8e1b9a7d6c5e4f3a2b1c0d9e8f');
    expect(p.tlsPort).toBe(61000);
    expect(p.port).toBeUndefined();
    expect(p.password).toBe(PROXMOX_TICKET);
    expect(p.proxy).toBe('http://pve1.example.lan:3128');
    expect(p.hostSubject).toBe('OU=PVE Cluster Node,O=Proxmox Virtual Environment,CN=pve1.example.lan');
    expect(p.ca).toBe('-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUX\nQUJDREVGRw==\n-----END CERTIFICATE-----\n');
    expect(p.title).toBe('VM 100 - debian');
    expect(p.deleteThisFile).toBe(true);
    expect(p.hotkeys).toEqual({
      'secure-attention': 'Ctrl+Alt+Ins',
      'release-cursor': 'Ctrl+Alt+R',
      'toggle-fullscreen': 'Shift+F11',
    });
    expect(p.tlsOnly).toBe(false);
    expect(p.warnings).toEqual([]);
  });

  it('reads an oVirt file: port=-1 means no plain port, versions, USB filter, [ovirt] kept', () => {
    const p = parseVvFile(OVIRT);
    expect(p.host).toBe('192.0.2.20');
    expect(p.port).toBeUndefined();
    expect(p.tlsPort).toBe(5901);
    expect(p.fullscreen).toBe(false);
    expect(p.enableSmartcard).toBe(false);
    expect(p.enableUsbAutoshare).toBe(true);
    expect(p.usbFilter).toBe('-1,60186,10000,256,1|8,-1,-1,-1,1|-1,-1,-1,-1,0');
    expect(p.tlsCiphers).toBe('DEFAULT');
    expect(p.title).toBe('rhel9-vm:%d - Press SHIFT+F12 to Release Cursor');
    expect(p.secureChannels).toEqual(['main', 'inputs', 'cursor', 'playback', 'record', 'display', 'smartcard', 'usbredir']);
    expect(p.versions).toEqual({ 'rhev-win64': '2.0-160', 'rhev-win32': '2.0-160', rhel8: '7.0-3' });
    expect(p.newerVersionUrl).toBe('http://www.ovirt.org/documentation/admin-guide/virt/console-client-resources');
    expect(p.ovirt).toEqual({
      host: 'engine.example.org:443',
      'vm-guid': '2ab4f8c4-2d0b-4c55-9a3e-1f1b5b8c7d6e',
      'sso-token': OVIRT_TOKEN,
      admin: '1',
      ca: '-----BEGIN CERTIFICATE-----\nMIIEengine\n-----END CERTIFICATE-----\n',
    });
    expect(p.warnings).toEqual([]);
  });

  it('reads the same file from bytes, with CRLF line endings and a byte-order mark', () => {
    const bytes = new TextEncoder().encode(`\ufeff${PROXMOX.replace(/\n/g, '\r\n')}`);
    const p = parseVvBytes(bytes);
    expect(p.tlsPort).toBe(61000);
    expect(p.password).toBe(PROXMOX_TICKET);
    expect(p.ca?.endsWith('-----END CERTIFICATE-----\n')).toBe(true);
  });
});

describe('parseVvFile: every key', () => {
  it('reads all [virt-viewer] keys into the profile', () => {
    const p = parseVvFile(
      [
        '[virt-viewer]',
        'type=spice',
        'host=[2001:db8::5]',
        'port=5900',
        'tls-port=5901',
        'username=alice',
        'password=pw',
        'proxy=https://user:pa55@proxy.example:8443',
        'ca=-----BEGIN CERTIFICATE-----\\nAA==\\n-----END CERTIFICATE-----',
        'host-subject=CN=h',
        'tls-ciphers=HIGH:!aNULL',
        'secure-channels=all',
        'disable-channels=usbredir, smartcard',
        'title=Desk',
        'fullscreen=1',
        'delete-this-file=0',
        'toggle-fullscreen=shift+f11',
        'release-cursor=ctrl+alt',
        'zoom-in=ctrl+plus',
        'zoom-out=ctrl+minus',
        'zoom-reset=ctrl+0',
        'secure-attention=ctrl+alt+end',
        'usb-device-reset=ctrl+shift+r',
        'smartcard-insert=shift+f8',
        'smartcard-remove=shift+f9',
        'enable-usbredir=1',
        'enable-usb-autoshare=0',
        'enable-smartcard=1',
        'usb-filter=0x03,-1,-1,-1,0|-1,-1,-1,-1,1',
        'usb-redirect-on-connect=-1,0x1234,0x5678,-1,1',
        'color-depth=16',
        'disable-effects=all',
        'version=7.0',
        'versions=linux:8.0',
        'newer-version-url=https://example.org/viewer',
        'x-vendor-note=hello\\sworld',
        '',
      ].join('\n'),
    );
    expect(p).toMatchObject({
      host: '2001:db8::5',
      port: 5900,
      tlsPort: 5901,
      username: 'alice',
      password: 'pw',
      proxy: 'https://user:pa55@proxy.example:8443',
      ca: '-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----',
      hostSubject: 'CN=h',
      tlsCiphers: 'HIGH:!aNULL',
      secureChannels: ['all'],
      disableChannels: ['usbredir', 'smartcard'],
      title: 'Desk',
      fullscreen: true,
      deleteThisFile: false,
      enableUsbredir: true,
      enableUsbAutoshare: false,
      enableSmartcard: true,
      usbFilter: '0x03,-1,-1,-1,0|-1,-1,-1,-1,1',
      usbRedirectOnConnect: '-1,0x1234,0x5678,-1,1',
      colorDepth: 16,
      disableEffects: ['wallpaper', 'font-smooth', 'animation'],
      version: '7.0',
      versions: { linux: '8.0' },
      newerVersionUrl: 'https://example.org/viewer',
      extras: { 'x-vendor-note': 'hello world' },
    });
    expect(p.hotkeys).toEqual({
      'toggle-fullscreen': 'shift+f11',
      'release-cursor': 'ctrl+alt',
      'zoom-in': 'ctrl+plus',
      'zoom-out': 'ctrl+minus',
      'zoom-reset': 'ctrl+0',
      'secure-attention': 'ctrl+alt+end',
      'usb-device-reset': 'ctrl+shift+r',
      'smartcard-insert': 'shift+f8',
      'smartcard-remove': 'shift+f9',
    });
    expect(p.warnings).toEqual([]);
  });

  it('reads unix-path alone', () => {
    const p = parseVvFile('[virt-viewer]\ntype=spice\nunix-path=/run/vm/spice.sock\n');
    expect(p.unixPath).toBe('/run/vm/spice.sock');
    expect(p.host).toBeUndefined();
  });

  it('keeps listed effects in a fixed order and drops duplicates', () => {
    expect(parseVvFile(withHead('disable-effects=animation;wallpaper;animation')).disableEffects).toEqual(['wallpaper', 'animation']);
  });

  it('takes an empty hotkey as "no hotkey for this action"', () => {
    expect(parseVvFile(withHead('release-cursor=')).hotkeys).toEqual({ 'release-cursor': '' });
  });

  it('keeps a password exactly, trailing blank included', () => {
    expect(parseVvFile(withHead('password=a b ')).password).toBe('a b ');
  });
});

describe('parseVvFile: GKeyFile syntax', () => {
  it('skips # and ; comments and blank lines, and blanks around "="', () => {
    const p = parseVvFile(
      ['# made by hand', '', '  [virt-viewer]  ', ' type = spice', '; secure-channels=all', '\thost =  h', 'port=5900', '  # indented comment'].join('\n'),
    );
    expect(p.host).toBe('h');
    expect(p.port).toBe(5900);
    expect(p.secureChannels).toEqual([]);
    expect(p.warnings).toEqual([]);
  });

  it('turns the escapes \\s \\t \\n \\r \\\\ into characters', () => {
    expect(parseVvFile(withHead('title=\\sa\\tb\\nc\\rd\\\\e')).title).toBe(' a\tb\nc\rd\\e');
  });

  it('merges a repeated group and lets the last repeated key win, with a warning', () => {
    const p = parseVvFile(['[virt-viewer]', 'type=spice', 'host=a', 'port=1', '[x-other]', 'k=v', '[virt-viewer]', 'host=b', ''].join('\n'));
    expect(p.host).toBe('b');
    expect(p.port).toBe(1);
    expect(p.warnings).toHaveLength(1);
    expect(p.warnings[0]).toMatch(/"host" appears more than once .*line 8/);
  });

  it('accepts ";" and "," in lists and ignores empty items', () => {
    expect(parseVvFile(withHead('secure-channels=main,display;;inputs;')).secureChannels).toEqual(['main', 'display', 'inputs']);
  });
});

describe('parseVvFile: warnings, not errors', () => {
  it('warns about unknown keys, naming them and the line', () => {
    const p = parseVvFile(withHead('colour=blue', 'kiosk=1'));
    expect(p.warnings).toHaveLength(2);
    expect(p.warnings[0]).toBe('.vv file: unknown key "colour" in [virt-viewer] ignored (line 5)');
    expect(p.warnings[1]).toMatch(/"kiosk".*command-line option/);
  });

  it('keeps x- keys in extras without warning, and ignores x- groups', () => {
    const p = parseVvFile(withHead('x-site=lab', 'x-empty=', '[x-tool]', 'anything=1'));
    expect(p.extras).toEqual({ 'x-site': 'lab', 'x-empty': '' });
    expect(p.warnings).toEqual([]);
  });

  it('warns about unknown groups', () => {
    const p = parseVvFile(withHead('[vnc]', 'port=1'));
    expect(p.port).toBe(5900);
    expect(p.warnings).toEqual(['.vv file: unknown group [vnc] ignored (line 5)']);
  });

  it('ignores an empty setting with a warning', () => {
    const p = parseVvFile(withHead('tls-port=', 'title='));
    expect(p.tlsPort).toBeUndefined();
    expect(p.title).toBeUndefined();
    expect(p.warnings).toHaveLength(2);
    expect(p.warnings[0]).toMatch(/"tls-port" in \[virt-viewer\] is empty/);
  });

  it('keeps an x- value with a bad escape as written, with a warning', () => {
    const p = parseVvFile(withHead('x-path=C:\\vms'));
    expect(p.extras['x-path']).toBe('C:\\vms');
    expect(p.warnings).toHaveLength(1);
    expect(p.warnings[0]).toMatch(/"x-path" .*invalid escape sequence "\\v"; .*kept as written \(line 5\)/);
  });
});

describe('parseVvFile: bad files', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['no [virt-viewer] group', '[ovirt]\nhost=e\n', /no \[virt-viewer\] group/],
    ['an empty file', '', /no \[virt-viewer\] group/],
    ['no type', '[virt-viewer]\nhost=h\nport=5900\n', /no "type" key/],
    ['type=vnc', '[virt-viewer]\ntype=vnc\nhost=h\nport=5900\n', /type "vnc" is not supported/],
    ['type=ovirt', '[virt-viewer]\ntype=ovirt\n', /type "ovirt" .*not supported/],
    ['an unknown type', '[virt-viewer]\ntype=rdp\n', /must be "spice", got "rdp"/],
    ['port=abc', withHead('port=abc'), /^\.vv file: key "port" in \[virt-viewer\] must be a number from 1 to 65535, got "abc" \(line 5\)$/],
    ['port=65536', withHead('port=65536'), /"port" .* from 1 to 65535, got "65536"/],
    ['tls-port=-5', withHead('tls-port=-5'), /"tls-port" .* from 1 to 65535/],
    ['tls-port=1.5', withHead('tls-port=1.5'), /"tls-port"/],
    ['fullscreen=2', withHead('fullscreen=2'), /"fullscreen" .* must be 0 or 1, got "2"/],
    ['fullscreen=true', withHead('fullscreen=true'), /"fullscreen" .* must be 0 or 1, got "true"/],
    ['enable-usbredir=yes', withHead('enable-usbredir=yes'), /"enable-usbredir" .* 0 or 1/],
    ['color-depth=24', withHead('color-depth=24'), /"color-depth" .* 16 or 32, got 24/],
    ['color-depth=x', withHead('color-depth=x'), /"color-depth" .* whole number, got "x"/],
    ['an unknown channel', withHead('secure-channels=main;video'), /unknown channel "video"/],
    ['disable-channels=all', withHead('disable-channels=all'), /unknown channel "all"/],
    ['disabling main', withHead('disable-channels=main'), /cannot disable the main channel/],
    ['an unknown effect', withHead('disable-effects=shadows'), /unknown effect "shadows"/],
    ['a USB rule with 4 fields', withHead('usb-filter=-1,-1,-1,1'), /"usb-filter" .* rule 1 .* 5 fields/],
    ['a USB rule with allow=2', withHead('usb-filter=-1,-1,-1,-1,2'), /allow 0 or 1/],
    ['a USB class out of range', withHead('usb-redirect-on-connect=256,-1,-1,-1,1'), /class "256"/],
    ['usb-filter=null', withHead('usb-filter=null'), /"usb-filter"/],
    ['a hotkey with blanks', withHead('toggle-fullscreen=shift f11'), /"toggle-fullscreen" .* key names joined with "\+"/],
    ['a hotkey ending in +', withHead('zoom-in=ctrl+'), /"zoom-in"/],
    ['a socks proxy', withHead('proxy=socks5://p:1080'), /"proxy" .* "socks5", but only http/],
    ['a proxy with a query', withHead('proxy=https://p:29876?token=abc'), /"proxy" .* no path or query/],
    ['a proxy port out of range', withHead('proxy=http://p:99999'), /"proxy" .* port "99999"/],
    ['a CA that is not PEM', withHead('ca=MIIBszCCAVmgAwIBAgIU'), /"ca" .* PEM certificates/],
    ['a host that is a URL', '[virt-viewer]\ntype=spice\nhost=spice://h\nport=5900\n', /"host" .* not a URL/],
    ['a host with a blank', '[virt-viewer]\ntype=spice\nhost=my host\nport=5900\n', /"host" .* without spaces/],
    ['unix-path with host', '[virt-viewer]\ntype=spice\nunix-path=/s\nhost=h\n', /unix-path cannot be combined with host/],
    ['unix-path with a port', '[virt-viewer]\ntype=spice\nunix-path=/s\ntls-port=5901\n', /unix-path cannot be combined/],
    ['unix-path with secure-channels', '[virt-viewer]\ntype=spice\nunix-path=/s\nsecure-channels=main\n', /no TLS on Unix sockets/],
    ['no host', '[virt-viewer]\ntype=spice\nport=5900\n', /needs a host/],
    ['a host without a port', '[virt-viewer]\ntype=spice\nhost=h\n', /needs a port or a tls-port/],
    ['a host with only port=-1', '[virt-viewer]\ntype=spice\nhost=h\nport=-1\n', /needs a port or a tls-port/],
    ['malformed versions', withHead('versions=linux'), /"versions" .* os-id:version/],
    ['a bad version', withHead('version=new'), /"version" .* such as 7.0/],
    ['an invalid escape', withHead('title=C:\\vms'), /"title" .* invalid escape sequence "\\v"/],
    ['a trailing backslash (no line continuation)', withHead('title=one \\', 'x-two=2'), /"title" .* ends with a backslash .*no line continuation/],
    ['a key before any group', 'type=spice\n[virt-viewer]\n', /line 1: key "type" comes before the first \[group\]/],
    ['a line that is not key=value', withHead('just words'), /line 5 is not a \[group\] header, a key=value pair or a # comment/],
    ['a line starting with "="', withHead('=5'), /line 5 is not/],
    ['a broken group header', '[virt-viewer\ntype=spice\n', /line 1 starts with "\[" but is not a \[group\] header/],
    ['text after a group header', '[virt-viewer] x\ntype=spice\n', /line 1 .* not a \[group\] header/],
    ['an empty group name', '[]\n', /line 1 has an invalid group name/],
    ['a key with brackets', withHead('ti]tle=x'), /invalid key name "ti\]tle"/],
    ['a control character', withHead('title=a\u0001b'), /binary data \(control character 0x01 on line 5\)/],
    ['a NUL character', `${withHead()}\u0000`, /binary data \(control character 0x00 on line 5\)/],
    ['bare CR line endings', '[virt-viewer]\rtype=spice\r', /bare carriage return/],
  ];
  for (const [what, text, message] of cases) {
    it(`refuses ${what}`, () => {
      const e = usageError(() => parseVvFile(text));
      expect(e.message).toMatch(/^\.vv file: /);
      expect(e.message).toMatch(message);
    });
  }

  it('refuses text longer than 1 MiB', () => {
    const big = withHead(`x-pad=${'a'.repeat(1024 * 1024)}`);
    expect(usageError(() => parseVvFile(big)).message).toMatch(/bigger than 1 MiB/);
  });
});

describe('parseVvBytes: refuses what is not a small UTF-8 text file', () => {
  const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
  it('refuses binary data with a NUL byte, giving its offset', () => {
    const bytes = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00]);
    expect(usageError(() => parseVvBytes(bytes)).message).toMatch(/binary data \(a NUL byte at offset 8\)/);
  });
  it('refuses UTF-16 with a clear hint', () => {
    const bytes = new Uint8Array([0xff, 0xfe, 0x5b, 0x00, 0x76, 0x00]);
    expect(usageError(() => parseVvBytes(bytes)).message).toMatch(/UTF-16 .*save it as UTF-8/);
  });
  it('refuses invalid UTF-8', () => {
    const bytes = new Uint8Array([...enc('[virt-viewer]\ntitle='), 0xc3, 0x28, 0x0a]);
    expect(usageError(() => parseVvBytes(bytes)).message).toMatch(/not valid UTF-8/);
  });
  it('refuses more than 1 MiB of bytes', () => {
    const bytes = new Uint8Array(1024 * 1024 + 1).fill(0x61);
    expect(usageError(() => parseVvBytes(bytes)).message).toMatch(/1048577 bytes; .* at most 1048576 bytes/);
  });
  it('reads non-ASCII UTF-8 titles', () => {
    expect(parseVvBytes(enc(withHead('title=Büro – VM 3'))).title).toBe('Büro – VM 3');
  });
});

describe('parseVvFile: secrets never appear in errors or warnings', () => {
  const secret = 'Tr0ub4dorSecret';
  const files: Array<[string, string]> = [
    ['a bad escape in the password', withHead(`password=${secret}\\q`)],
    ['a trailing backslash in the password', withHead(`password=${secret}\\`)],
    ['a password line without "="', withHead(`password ${secret}`)],
    ['a password line before the group', `password=${secret}\n[virt-viewer]\ntype=spice\n`],
    ['a control character in the password', withHead(`password=${secret}\u0007`)],
    ['proxy credentials with a bad port', withHead(`proxy=http://user:${secret}@p:abc`)],
    ['proxy credentials with a bad scheme', withHead(`proxy=ftp://user:${secret}@p`)],
    ['proxy credentials with a query', withHead(`proxy=http://user:${secret}@p:1?x=1`)],
    ['a bad escape in the oVirt token (kept; warns)', withHead('[ovirt]', `sso-token=${secret}\\q`)],
    ['a repeated password (warns)', withHead(`password=${secret}`, `password=${secret}`)],
    ['a password and a bad port', withHead(`password=${secret}`, 'tls-port=x')],
  ];
  for (const [what, text] of files) {
    it(`for ${what}`, () => {
      let messages: string[];
      try {
        messages = parseVvFile(text).warnings;
        expect(messages.length).toBeGreaterThan(0);
      } catch (e) {
        expect(e).toBeInstanceOf(SpiceError);
        messages = [(e as Error).message];
      }
      for (const m of messages) {
        expect(m).not.toContain(secret);
        expect(m).not.toContain('Tr0ub');
      }
    });
  }

  it('does not even quote the bad escape sequence of a password', () => {
    const e = usageError(() => parseVvFile(withHead('password=ab\\Zcd')));
    expect(e.message).toMatch(/"password" .* an invalid escape sequence/);
    expect(e.message).not.toContain('\\Z');
  });

  it('no warning of the sample files mentions their password or token', () => {
    for (const text of [PROXMOX, OVIRT]) {
      for (const w of parseVvFile(text).warnings) {
        expect(w).not.toContain(PROXMOX_TICKET);
        expect(w).not.toContain(OVIRT_TOKEN);
      }
    }
  });
});

describe('parseVvFile: keys that name Object.prototype members are plain keys', () => {
  const prototypeNames = ['__proto__', 'constructor', 'toString', 'valueOf', 'hasOwnProperty'];

  it.each(prototypeNames)('warns that [virt-viewer] key "%s" is unknown', (key) => {
    const p = parseVvFile(withHead(`${key}=1`));
    expect(p.warnings).toEqual([`.vv file: unknown key "${key}" in [virt-viewer] ignored (line 5)`]);
  });

  it('keeps [ovirt] and x- keys of those names as data, without touching the profile prototype', () => {
    const p = parseVvFile(withHead('x-__proto__=a', '[ovirt]', '__proto__=b', 'constructor=c'));
    expect(Object.getOwnPropertyNames(p.extras)).toEqual(['x-__proto__']);
    expect(Object.getOwnPropertyNames(p.ovirt)).toEqual(['__proto__', 'constructor']);
    expect(p.ovirt['__proto__']).toBe('b');
    expect(p.ovirt.constructor).toBe('c');
  });

  it('keeps an os id named __proto__ in versions as a plain entry', () => {
    const p = parseVvFile(withHead('versions=__proto__:1.0;spicedesk:0.1'));
    expect(Object.getOwnPropertyNames(p.versions)).toEqual(['__proto__', 'spicedesk']);
  });
});

describe('parseVvFile: ca', () => {
  it('refuses a megabyte of BEGIN lines without an END at once', () => {
    // A backtracking BEGIN[\s\S]*END expression took 47 s of CPU on this input, past the test's timeout.
    const value = '-----BEGIN CERTIFICATE-----\\n'.repeat(Math.floor((1024 * 1024 - 200) / 30));
    expect(usageError(() => parseVvFile(withHead(`ca=${value}`))).message).toMatch(/"ca" .*must hold PEM certificates/);
  });

  it('accepts a BEGIN line followed by an END line', () => {
    const p = parseVvFile(withHead('ca=-----BEGIN CERTIFICATE-----\\nMIIB\\n-----END CERTIFICATE-----\\n'));
    expect(p.ca).toContain('MIIB');
  });
});

describe('parseVvFile: many warnings of one kind', () => {
  it('lists the first ten unknown keys and counts the rest in one line', () => {
    const keys = Array.from({ length: 60_000 }, (_, i) => `junk${i}=1`);
    const p = parseVvFile(withHead(...keys));
    expect(p.warnings).toHaveLength(11);
    expect(p.warnings[0]).toBe('.vv file: unknown key "junk0" in [virt-viewer] ignored (line 5)');
    expect(p.warnings[9]).toMatch(/"junk9"/);
    expect(p.warnings[10]).toBe('.vv file: 59,990 more unknown keys in [virt-viewer] ignored');
  });

  it('counts repeated keys and unknown groups the same way, each kind on its own', () => {
    const repeated = Array.from({ length: 12 }, () => 'title=x');
    const groups = Array.from({ length: 13 }, (_, i) => `[g${i}]`);
    const p = parseVvFile(withHead('a=1', ...repeated, ...groups));
    expect(p.warnings.filter((w) => /appears more than once/.test(w))).toHaveLength(10);
    expect(p.warnings).toContain('.vv file: 1 more keys appear more than once; the last of each is used');
    expect(p.warnings.filter((w) => /unknown group \[/.test(w))).toHaveLength(10);
    expect(p.warnings).toContain('.vv file: 3 more unknown groups ignored');
    expect(p.warnings.filter((w) => /unknown key/.test(w))).toEqual(['.vv file: unknown key "a" in [virt-viewer] ignored (line 5)']);
  });
});

describe('asksToBeDeleted', () => {
  it('reads delete-this-file in [virt-viewer] without the parser, the last one counting', () => {
    expect(asksToBeDeleted('[virt-viewer]\nport=bad\n delete-this-file = 1 \n')).toBe(true);
    expect(asksToBeDeleted('[virt-viewer]\ndelete-this-file=1\ndelete-this-file=0\n')).toBe(false);
    expect(asksToBeDeleted('[ovirt]\ndelete-this-file=1\n')).toBe(false);
    expect(asksToBeDeleted('garbage [ line\n[virt-viewer]\r\ndelete-this-file=1\r\n')).toBe(true);
  });
});
