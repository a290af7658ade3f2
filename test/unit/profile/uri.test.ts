import { describe, expect, it } from 'vitest';
import { parseSpiceUri } from '../../../src/protocol/profile/index.ts';
import { SpiceError } from '../../../src/protocol/wire/errors.ts';

/** The SpiceError a call throws (failing the test if it throws nothing or something else). */
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

describe('parseSpiceUri: good URIs', () => {
  it('reads spice://host:port as a plain port', () => {
    const p = parseSpiceUri('spice://vm.example.org:5900');
    expect(p).toMatchObject({ source: 'uri', host: 'vm.example.org', port: 5900, tlsOnly: false });
    expect(p.tlsPort).toBeUndefined();
    expect(p.warnings).toEqual([]);
    expect(p.secureChannels).toEqual([]);
    expect(p.hotkeys).toEqual({});
  });

  it('reads port and tls-port query keys, separated by & or ;', () => {
    for (const uri of ['spice://h?port=5900&tls-port=5901', 'spice://h?port=5900;tls-port=5901', 'spice://h;port=5900;tls-port=5901']) {
      const p = parseSpiceUri(uri);
      expect(p.host).toBe('h');
      expect(p.port).toBe(5900);
      expect(p.tlsPort).toBe(5901);
    }
  });

  it('accepts only a tls-port', () => {
    const p = parseSpiceUri('spice://10.0.0.5?tls-port=5901');
    expect(p.port).toBeUndefined();
    expect(p.tlsPort).toBe(5901);
    expect(p.tlsOnly).toBe(false);
  });

  it('reads a user name (percent-decoded) before @', () => {
    const p = parseSpiceUri('spice://j%20doe@h:5900');
    expect(p.username).toBe('j doe');
    expect(p.host).toBe('h');
  });

  it('puts the port of spice+tls:// on TLS for every channel', () => {
    const p = parseSpiceUri('spice+tls://secure.example:5901');
    expect(p.tlsPort).toBe(5901);
    expect(p.port).toBeUndefined();
    expect(p.tlsOnly).toBe(true);
  });

  it('reads spice+unix:// socket paths', () => {
    const p = parseSpiceUri('spice+unix:///run/libvirt/qemu/vm.sock');
    expect(p.unixPath).toBe('/run/libvirt/qemu/vm.sock');
    expect(p.host).toBeUndefined();
    expect(p.port).toBeUndefined();
  });

  it('unwraps bracketed IPv6 literals', () => {
    expect(parseSpiceUri('spice://[::1]:5900')).toMatchObject({ host: '::1', port: 5900 });
    expect(parseSpiceUri('spice://[2001:db8::42]?tls-port=5901')).toMatchObject({ host: '2001:db8::42', tlsPort: 5901 });
    expect(parseSpiceUri('spice+tls://[fe80::1%25eth0]:5901').host).toBe('fe80::1%eth0');
    expect(parseSpiceUri('spice://[::ffff:192.0.2.1]:5900').host).toBe('::ffff:192.0.2.1');
  });

  it('takes the scheme case-insensitively and ignores surrounding blanks', () => {
    expect(parseSpiceUri('  SPICE://h:5900 ').port).toBe(5900);
  });

  it('ignores a trailing slash and warns about any other path', () => {
    expect(parseSpiceUri('spice://h:5900/').warnings).toEqual([]);
    const p = parseSpiceUri('spice://h:5900/some/path?tls-port=5901');
    expect(p.tlsPort).toBe(5901);
    expect(p.warnings).toHaveLength(1);
    expect(p.warnings[0]).toContain('/some/path');
  });

  it('accepts password= with a warning about the process list', () => {
    const p = parseSpiceUri('spice://h:5900?password=s%26cret');
    expect(p.password).toBe('s&cret');
    expect(p.warnings).toHaveLength(1);
    expect(p.warnings[0]).toMatch(/process list/);
    expect(p.warnings[0]).not.toContain('cret');
  });

  it('accepts password= with spice+tls://', () => {
    const p = parseSpiceUri('spice+tls://h:5901?password=x');
    expect(p.password).toBe('x');
    expect(p.tlsPort).toBe(5901);
  });
});

describe('parseSpiceUri: bad URIs', () => {
  const cases: Array<[string, RegExp]> = [
    ['', /empty/],
    ['   ', /empty/],
    ['h:5900', /must start with spice:\/\//],
    ['vnc://h:5900', /"vnc:\/\/" is not supported/],
    ['http://h:5900', /"http:\/\/" is not supported/],
    ['spice://h', /needs a port/],
    ['spice://:5900', /no host name/],
    ['spice://h:', /no port number/],
    ['spice://h:0', /must be a number from 1 to 65535/],
    ['spice://h:65536', /must be a number from 1 to 65535/],
    ['spice://h:59x0', /must be a number from 1 to 65535/],
    ['spice://h:-1', /must be a number from 1 to 65535/],
    ['spice://h?port=abc', /"port" must be a number from 1 to 65535, got "abc"/],
    ['spice://h?tls-port=70000', /"tls-port" must be a number/],
    ['spice://h?port=1.5', /"port" must be a number/],
    ['spice://h?port=', /"port" must be a number/],
    ['spice://h:5900?port=5901', /port is given twice/],
    ['spice://h?port=1&port=2', /"port" is given twice/],
    ['spice://h:5900?colour=red', /"colour" is unknown/],
    ['spice://h:5900?port', /not key=value/],
    ['spice+tls://h:5901?port=5900', /spice\+tls:\/\/ does not take port=/],
    ['spice+tls://h?tls-port=5901', /spice\+tls:\/\/ does not take tls-port=/],
    ['spice+tls://h', /needs a port/],
    ['spice+unix://relative/path', /absolute socket path/],
    ['spice+unix://', /absolute socket path/],
    ['spice+unix:///', /empty socket path/],
    ['spice://::1:5900', /IPv6 addresses in brackets/],
    ['spice://[::1:5900', /closing "\]"/],
    ['spice://[not-ipv6]:5900', /not an IPv6 address/],
    ['spice://[1:2:3:4:5:6:7:8:9]:5900', /not an IPv6 address/],
    ['spice://[::1]x:5900', /after the IPv6 address/],
    ['spice://ho st:5900', /not a valid host name/],
    ['spice://h..x:5900', /not a valid host name/],
    // A last label that is a number makes the host an IPv4 address to a URL parser.
    ['ws://127.0i.0.1:9/p', /"127\.0i\.0\.1" is not a valid host name or address/],
    ['wss://300.1.1.1/p', /not a valid host name/],
    ['spice://10.1.2:5900', /not a valid host name/],
    ['spice://host.0x1f:5900', /not a valid host name/],
    ['spice://@h:5900', /empty user name/],
    ['spice://a@b@h:5900', /more than one "@"/],
    ['spice://h:5900#frag', /fragments/],
    ['spice://h%zz:5900', /broken %-escape/],
    [`spice://h:5900?port=${'1'.repeat(9000)}`, /longer than 8192/],
  ];
  for (const [uri, message] of cases) {
    it(`refuses ${JSON.stringify(uri.length > 60 ? `${uri.slice(0, 40)}...` : uri)}`, () => {
      const e = usageError(() => parseSpiceUri(uri));
      expect(e.message).toMatch(/^spice URI: /);
      expect(e.message).toMatch(message);
    });
  }

  it('refuses control characters inside the URI', () => {
    expect(usageError(() => parseSpiceUri('spice://h\u0001:5900')).message).toMatch(/control characters/);
  });
});

describe('parseSpiceUri: the password never appears in an error', () => {
  const secret = 'Hunter2Secret';
  const uris = [
    `spice://h?password=${secret}`, // no port
    `spice://h?password=${secret}&colour=red`, // unknown key after the password
    `spice://h?password=${secret}&port=abc`,
    `spice://h?password=ab&${secret}=1&port=5900`, // a raw & inside the password
    `spice://h?password=ab;${secret}&port=5900`,
    `spice://h?password=ab&${secret}&port=5900`,
    `spice://h:5900&password=${secret}`, // forgotten '?': the password lands in the port
    `spice://h&password=${secret}:5900`, // ... or in the host
    `spice://user:${secret}@h:5900`,
    `spice://h:5900?password=${secret}#x`,
    `spice://h:5900?password=${secret}%zz`,
    `spice+tls://h?password=${secret}&port=1`,
    `spice://h:5900?password=${secret}&password=${secret}`,
    `spice://h:5900?password=${secret}&tls-port=`,
    `spice://h:5900?password=${secret}&tls-port=x${secret}`,
  ];
  for (const uri of uris) {
    it(`keeps it out of the message for ${uri.replace(secret, 'SECRET')}`, () => {
      const e = usageError(() => parseSpiceUri(uri));
      expect(e.message).not.toContain(secret);
      expect(e.message).not.toContain('Hunter');
    });
  }
});

describe('parseSpiceUri: ws:// and wss://', () => {
  it('keeps path and query for the WebSocket server and makes the port explicit', () => {
    const p = parseSpiceUri('wss://gw.example.org/spice/vm-7?ticket=a%2Fb&x=1');
    expect(p).toMatchObject({ source: 'uri', host: 'gw.example.org', port: 443, tlsOnly: false });
    expect(p.webSocketUrl).toBe('wss://gw.example.org:443/spice/vm-7?ticket=a%2Fb&x=1');
    expect(p.password).toBeUndefined();
    expect(p.warnings).toEqual([]);
  });

  it('ws:// defaults to port 80 and path /; IPv6 stays in brackets in the URL only', () => {
    expect(parseSpiceUri('ws://h').webSocketUrl).toBe('ws://h:80/');
    expect(parseSpiceUri('WS://h:5959?t=1').webSocketUrl).toBe('ws://h:5959/?t=1');
    const v6 = parseSpiceUri('ws://[::1]:5959/x');
    expect(v6.host).toBe('::1');
    expect(v6.port).toBe(5959);
    expect(v6.webSocketUrl).toBe('ws://[::1]:5959/x');
  });

  it('refuses user parts, fragments, spaces, bad hosts and ports without quoting the query', () => {
    expect(usageError(() => parseSpiceUri('ws://u@h:1/')).message).toMatch(/does not take a user part/);
    expect(usageError(() => parseSpiceUri('ws://h:1/#frag')).message).toMatch(/fragments are not supported/);
    expect(usageError(() => parseSpiceUri('ws://h:1/a b')).message).toMatch(/must not contain spaces/);
    expect(usageError(() => parseSpiceUri('ws://h:0/')).message).toMatch(/from 1 to 65535/);
    expect(usageError(() => parseSpiceUri('wss://:443/')).message).toMatch(/no host name/);
    expect(usageError(() => parseSpiceUri('ws://h$:1/?ticket=SECRET')).message).not.toMatch(/SECRET/);
  });
});
