/**
 * Layer 2 of the callback: AES-256-CBC via @wecom/crypto, with the checks it leaves to us:
 * well-formed base64, whole blocks, a sane length field and receiveid = our corp id.
 */
import { decrypt, encrypt } from '@wecom/crypto';

export class CipherError extends Error {
  constructor(
    readonly reason: 'bad_ciphertext' | 'wrong_receiver',
    message: string,
  ) {
    super(message);
    this.name = 'CipherError';
  }
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
/** Control characters that never occur in XML text: a sign of a wrong key or corrupt data. */
const NOT_XML_TEXT = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFD\uFFFE\uFFFF]/;

export function decryptMessage(encodingAesKey: string, ciphertext: string, corpId: string): string {
  const text = ciphertext.trim();
  if (!text || text.length % 4 !== 0 || !BASE64.test(text)) {
    throw new CipherError('bad_ciphertext', 'ciphertext is not base64');
  }
  const bytes = Buffer.from(text, 'base64').length;
  if (bytes < 32 || bytes % 32 !== 0) throw new CipherError('bad_ciphertext', 'ciphertext is not whole blocks');
  let out: { message: string; id: string };
  try {
    out = decrypt(encodingAesKey, text);
  } catch {
    throw new CipherError('bad_ciphertext', 'ciphertext does not decrypt');
  }
  // A wrong key yields garbage rather than an error: the receiver id is the real check.
  if (out.id !== corpId) throw new CipherError('wrong_receiver', 'receiveid does not match the corp id');
  // CBC carries no integrity check: a changed ciphertext block decrypts to 16 random bytes (and
  // flips bits in the next one) while the length and receiveid stay intact. WeCom sends UTF-8
  // XML, so bytes that are not UTF-8 (decoded as U+FFFD) or characters XML forbids mean the
  // ciphertext was tampered with. This is a plausibility check, not a MAC: see docs/wecom-transport.md.
  if (NOT_XML_TEXT.test(out.message)) throw new CipherError('bad_ciphertext', 'plaintext is not UTF-8 XML text');
  return out.message;
}

export function encryptMessage(encodingAesKey: string, message: string, corpId: string): string {
  return encrypt(encodingAesKey, message, corpId);
}
