// RSA-OAEP (SHA-1) for the SPICE ticket, from node:crypto; never a hand-made RSA.
import { constants, createPublicKey, publicEncrypt } from 'node:crypto';
import type { TicketCrypto } from '../../protocol/link/link.ts';

export const nodeTicketCrypto: TicketCrypto = {
  async encryptTicket(spkiDer, plaintext) {
    const key = createPublicKey({ key: Buffer.from(spkiDer), format: 'der', type: 'spki' });
    const out = publicEncrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, plaintext);
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  },
};
