// Certificates for TLS tests, made with the openssl CLI (Debian package openssl): a CA, server
// certificates signed by it (with chosen subject, SANs, validity), and a second CA nobody trusts.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireTool } from './require-tool.ts';

export interface CertificateAuthority {
  readonly certFile: string;
  readonly keyFile: string;
  /** The CA certificate as PEM text. */
  readonly pem: string;
}

export interface ServerCertificate {
  readonly certFile: string;
  readonly keyFile: string;
}

export interface ServerCertificateOptions {
  /** OpenSSL -subj form, e.g. "/C=IL/O=Red Hat/CN=my server". */
  subject: string;
  /** subjectAltName entries, e.g. ['DNS:localhost', 'IP:127.0.0.1']; none when empty. */
  altNames?: string[];
  /** Valid from `notBefore` for `days` days; a past window gives an expired certificate. */
  notBefore?: Date;
  days?: number;
}

export class CertificateWorkshop {
  readonly dir = mkdtempSync(join(tmpdir(), 'spicedesk-tls-'));
  private readonly openssl = requireTool('openssl', 'openssl');
  private serial = 1;

  private run(args: string[]): void {
    execFileSync(this.openssl, args, { cwd: this.dir, stdio: ['ignore', 'ignore', 'pipe'] });
  }

  createCa(name: string): CertificateAuthority {
    const keyFile = join(this.dir, `${name}-key.pem`);
    const certFile = join(this.dir, `${name}-cert.pem`);
    this.run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '30', '-subj', `/O=spicedesk tests/CN=${name}`]);
    return { certFile, keyFile, pem: readFileSync(certFile, 'utf8') };
  }

  createServer(name: string, ca: CertificateAuthority, options: ServerCertificateOptions): ServerCertificate {
    const keyFile = join(this.dir, `${name}-key.pem`);
    const csrFile = join(this.dir, `${name}.csr`);
    const certFile = join(this.dir, `${name}-cert.pem`);
    const extFile = join(this.dir, `${name}.ext`);
    this.run(['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', csrFile, '-subj', options.subject]);
    const ext = ['basicConstraints=CA:FALSE', 'keyUsage=digitalSignature,keyEncipherment', 'extendedKeyUsage=serverAuth'];
    if (options.altNames && options.altNames.length > 0) ext.push(`subjectAltName=${options.altNames.join(',')}`);
    writeFileSync(extFile, ext.join('\n') + '\n');
    if (options.notBefore) {
      // openssl 3.0's x509 cannot back-date; `openssl ca` takes explicit dates.
      const end = new Date(options.notBefore.getTime() + (options.days ?? 30) * 86_400_000);
      const conf = join(this.dir, `${name}-ca.cnf`);
      writeFileSync(join(this.dir, `${name}-index.txt`), '');
      writeFileSync(join(this.dir, `${name}-serial`), '1000\n');
      writeFileSync(
        conf,
        `[ca]\ndefault_ca = d\n[d]\ndatabase = ${name}-index.txt\nnew_certs_dir = .\ndefault_md = sha256\nserial = ${name}-serial\npolicy = any\nunique_subject = no\npreserve = yes\n` +
          `[any]\ncountryName = optional\nlocalityName = optional\norganizationName = optional\ncommonName = optional\n`,
      );
      this.run(['ca', '-batch', '-config', conf, '-cert', ca.certFile, '-keyfile', ca.keyFile, '-in', csrFile, '-out', certFile, '-notext',
        '-startdate', asn1Time(options.notBefore), '-enddate', asn1Time(end), '-extfile', extFile]);
    } else {
      this.run(['x509', '-req', '-in', csrFile, '-CA', ca.certFile, '-CAkey', ca.keyFile, '-set_serial', String(this.serial++), '-out', certFile,
        '-extfile', extFile, '-days', String(options.days ?? 30)]);
    }
    return { certFile, keyFile };
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function asn1Time(d: Date): string {
  return d.toISOString().replace(/[-:T]/g, '').replace(/\.\d+Z$/, 'Z');
}
