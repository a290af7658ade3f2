import { describe, expect, it } from 'vitest';
import { readKeyFile, unescapeValue } from '../../../src/protocol/profile/keyfile.ts';
import {
  checkHotkey,
  checkUsbFilter,
  checkVvHost,
  isIpv6Literal,
  parsePort,
  parseProxyUrl,
} from '../../../src/protocol/profile/values.ts';

describe('parsePort', () => {
  it('takes 1..65535 written in decimal digits only', () => {
    expect(parsePort('1')).toBe(1);
    expect(parsePort('65535')).toBe(65535);
    expect(parsePort('05900')).toBe(5900);
    for (const bad of ['0', '65536', '', '+5', '-1', '5 ', '0x10', '1e3', '99999999999']) expect(parsePort(bad)).toBeUndefined();
  });
});

describe('isIpv6Literal', () => {
  it('accepts the usual forms', () => {
    for (const good of ['::', '::1', '1::', '2001:db8::1', '1:2:3:4:5:6:7:8', '::ffff:192.0.2.1', 'fe80::1%eth0', '1:2:3:4:5:6:1.2.3.4']) {
      expect(isIpv6Literal(good), good).toBe(true);
    }
  });
  it('refuses what is not one', () => {
    for (const bad of ['', '1', 'host', '1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8:9', '1::2::3', '12345::', '::1.2.3', '1.2.3.4::', '::g', 'fe80::1%', '::1%a b']) {
      expect(isIpv6Literal(bad), bad).toBe(false);
    }
  });
});

describe('checkVvHost', () => {
  it('keeps Proxmox ticket hosts and unwraps bracketed IPv6', () => {
    expect(checkVvHost('pvespiceproxy:1:100:node::abc')).toEqual({ ok: true, value: 'pvespiceproxy:1:100:node::abc' });
    expect(checkVvHost(' [::1] ')).toEqual({ ok: true, value: '::1' });
  });
  it('refuses empty hosts, URLs and separators', () => {
    for (const bad of ['', '  ', 'http://h', 'a/b', 'u@h', 'h?x', '[::1', 'a b']) expect(checkVvHost(bad).ok, bad).toBe(false);
  });
});

describe('parseProxyUrl', () => {
  it('defaults to http on port 3128, https on 3129', () => {
    expect(parseProxyUrl('proxy.lan')).toEqual({ ok: true, value: { scheme: 'http', host: 'proxy.lan', port: 3128 } });
    expect(parseProxyUrl('https://proxy.lan/')).toEqual({ ok: true, value: { scheme: 'https', host: 'proxy.lan', port: 3129 } });
  });
  it('reads credentials, an IPv6 host and a port', () => {
    expect(parseProxyUrl('HTTP://me:p%40ss@[2001:db8::1]:8080')).toEqual({
      ok: true,
      value: { scheme: 'http', host: '2001:db8::1', port: 8080, username: 'me', password: 'p@ss' },
    });
  });
  it('refuses other schemes, paths, bad hosts and ports', () => {
    for (const bad of ['socks5://p:1', 'http://p:1/path', 'http://p?token=1', 'http://:8080', 'http://p:0', 'http://p:x', 'http://[::1', 'http://[zz]:1', '']) {
      expect(parseProxyUrl(bad).ok, bad).toBe(false);
    }
  });
});

describe('checkUsbFilter', () => {
  it('accepts decimal, hex and -1 fields', () => {
    expect(checkUsbFilter('0x03,-1,-1,-1,0|-1,-1,-1,-1,1').ok).toBe(true);
    expect(checkUsbFilter('8,0x0781,0x5567,0x0100,1').ok).toBe(true);
  });
  it('refuses wrong field counts, ranges and allow values', () => {
    for (const bad of ['', '-1,-1,-1,-1', '-1,-1,-1,-1,1|', '256,-1,-1,-1,1', '-1,65536,-1,-1,1', '-2,-1,-1,-1,1', '-1,-1,-1,-1,2', 'a,b,c,d,e']) {
      expect(checkUsbFilter(bad).ok, bad).toBe(false);
    }
  });
});

describe('checkHotkey', () => {
  it('accepts key names joined with + and trims blanks around them', () => {
    expect(checkHotkey('Ctrl + Alt + Del')).toEqual({ ok: true, value: 'Ctrl+Alt+Del' });
    expect(checkHotkey('')).toEqual({ ok: true, value: '' });
  });
  it('refuses empty parts and odd characters', () => {
    for (const bad of ['ctrl+', '+a', 'ctrl++', 'shift f11', 'ctrl+é']) expect(checkHotkey(bad).ok, bad).toBe(false);
  });
});

describe('keyfile', () => {
  it('cuts lists at unescaped separators only, with no empty last item', () => {
    expect(unescapeValue('a\\;b;c;', ';')).toEqual({ ok: true, text: 'a;b;c;', items: ['a;b', 'c'] });
    expect(unescapeValue('a;;b', ';')).toEqual({ ok: true, text: 'a;;b', items: ['a', '', 'b'] });
  });
  it('refuses \\; outside lists, as GKeyFile does', () => {
    expect(unescapeValue('a\\;b')).toEqual({ ok: false, problem: 'bad-escape', sequence: '\\;' });
  });
  it('keeps trailing blanks of a value and drops leading ones', () => {
    const file = readKeyFile('[g]\nk =  v  \n');
    expect(file.groups.get('g')?.entries.get('k')?.raw).toBe('v  ');
  });
  it('accepts localized key names', () => {
    const file = readKeyFile('[g]\ntitle[de_DE]=x\n');
    expect(file.groups.get('g')?.entries.has('title[de_DE]')).toBe(true);
  });
});
