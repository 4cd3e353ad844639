/** Layer 1 of the callback: the signature, compared in constant time. */
import crypto from 'node:crypto';
import { getSignature } from '@wecom/crypto';

export function sign(token: string, timestamp: string, nonce: string, encrypt: string): string {
  return getSignature(token, timestamp, nonce, encrypt);
}

export function verifySignature(
  token: string,
  timestamp: string,
  nonce: string,
  encrypt: string,
  signature: string,
): boolean {
  const expected = Buffer.from(sign(token, timestamp, nonce, encrypt), 'utf8');
  const given = Buffer.from(String(signature).toLowerCase(), 'utf8');
  if (given.length !== expected.length) return false;
  return crypto.timingSafeEqual(expected, given);
}

/** The replay window. maxAgeS = 0 turns it off. */
export function timestampFresh(timestamp: string, nowMs: number, maxAgeS: number): boolean {
  if (maxAgeS === 0) return true;
  if (!/^\d{1,12}$/.test(timestamp)) return false;
  const t = Number(timestamp) * 1000;
  return Math.abs(nowMs - t) <= maxAgeS * 1000;
}
