// Trust anchors from a PEM file: `--spice-ca-file FILE`, or spice-gtk's per-user default
// ~/.spicec/spice_truststore.pem when no file is given. As in spice-gtk, these certificates are
// trusted together with the .vv `ca` (neither replaces the other); with either, the system store
// is not consulted.
import { X509Certificate } from 'node:crypto';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { pemCertificateBlocks } from '../../protocol/profile/pem.ts';
import { SpiceError } from '../../protocol/wire/errors.ts';
import { readUserFile, UserFileProblem } from '../node/user-file.ts';

export interface CaFile {
  /** The path as the user gave it, for messages. */
  path: string;
  /** The certificates, PEM text. */
  pem: string;
}

/** A CA bundle is a few hundred kilobytes at most (Mozilla's whole store is about 220 KB). */
export const MAX_CA_FILE_BYTES = 4 * 1024 * 1024;

/** Reads and checks a CA file; every failure is a 'usage' error that names the file and the problem. */
export function readCaFile(path: string): CaFile {
  const bad = (why: string, cause?: unknown): never => {
    throw new SpiceError('usage', `--spice-ca-file "${path}" ${why}`, { cause });
  };
  if (path.trim() === '') bad('is empty; give the path of a PEM file with the CA certificates');
  let bytes: Buffer;
  try {
    bytes = Buffer.from(readUserFile(path, MAX_CA_FILE_BYTES));
  } catch (e) {
    if (!(e instanceof UserFileProblem)) throw e;
    if (e.code === 'EISDIR') bad('is a directory; give the PEM file with the CA certificates', e);
    if (e.size !== undefined) bad(`is ${e.size} bytes; a CA file is at most ${MAX_CA_FILE_BYTES} bytes`, e);
    return bad(e.reason, e);
  }
  return { path, pem: checkPem(bytes, (why) => bad(why)) };
}

/**
 * spice-gtk's default trust store file, when it exists and no --spice-ca-file was given. A broken
 * one is reported through `warn` and skipped, as spice-gtk only warns about it.
 */
export function defaultTrustStore(env: NodeJS.ProcessEnv, warn: (line: string) => void): CaFile | undefined {
  const home = env.HOME ?? env.USERPROFILE;
  if (!home) return undefined;
  const path = join(home, '.spicec', 'spice_truststore.pem');
  try {
    if (!statSync(path).isFile()) return undefined;
  } catch {
    return undefined;
  }
  try {
    return readCaFile(path);
  } catch (e) {
    warn(`${(e as Error).message.replace(/^--spice-ca-file /, 'the trust store ')}; it is not used`);
    return undefined;
  }
}

function checkPem(bytes: Buffer, bad: (why: string) => never): string {
  if (bytes.includes(0)) bad('is not a PEM file (it holds binary data; a DER certificate must be converted: openssl x509 -inform der -in FILE -out FILE.pem)');
  const text = bytes.toString('utf8');
  const blocks = pemCertificateBlocks(text);
  if (blocks.length === 0) {
    if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) bad('holds a private key, not CA certificates; give the CA certificate (ca-cert.pem), never a key');
    bad('holds no PEM certificate ("-----BEGIN CERTIFICATE-----" ... "-----END CERTIFICATE-----")');
  }
  for (const [i, block] of blocks.entries()) {
    try {
      new X509Certificate(block);
    } catch (e) {
      bad(`has a certificate that cannot be read (number ${i + 1} of ${blocks.length}): ${(e as Error).message}`);
    }
  }
  // Only the certificates go to TLS: comments and other blocks around them are not its business.
  return `${blocks.join('\n')}\n`;
}

/** The PEM text to trust: the profile's `ca` and the CA file together, or undefined for the system store. */
export function combineTrust(profileCa: string | undefined, caFile: CaFile | undefined): { ca?: string; source?: string } {
  if (profileCa === undefined && caFile === undefined) return {};
  if (caFile === undefined) return { ca: profileCa, source: "the profile's ca" };
  if (profileCa === undefined) return { ca: caFile.pem, source: `"${caFile.path}"` };
  return { ca: `${profileCa.trimEnd()}\n${caFile.pem}`, source: `the profile's ca and "${caFile.path}"` };
}

/** What the commands trust besides the profile's ca: --spice-ca-file, else the default trust store. */
export function caFileForCommand(path: string | undefined, o: { env?: NodeJS.ProcessEnv; warn: (line: string) => void }): CaFile | undefined {
  if (path !== undefined) return readCaFile(path);
  return defaultTrustStore(o.env ?? process.env, o.warn);
}
