/**
 * Photos a unit contact uploads with a reply on the console's order page: only PNG, JPEG, GIF
 * and WebP, recognised by their first bytes (the name and the browser's declared type are not
 * trusted), kept in MEDIA_DIR the way media received in chat are (by SHA-256), so the review
 * card, the order page and the export treat both alike.
 */
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { MediaRef } from '../conversation/states';

/** The largest photo accepted (WeCom's own limit for an image sent in chat is 10 MB). */
export const MAX_PHOTO_BYTES = 10 * 1024 * 1024;
/** Photos per reply (as many as WeCom lets one send at once). */
export const MAX_PHOTOS = 9;

const EXT: Record<string, string> = { 'image/png': '.png', 'image/jpeg': '.jpg', 'image/gif': '.gif', 'image/webp': '.webp' };

/** The image type by its first bytes, or null when it is none of PNG, JPEG, GIF, WebP. */
export function sniffImage(head: Buffer): keyof typeof EXT | null {
  if (head.length >= 8 && head.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  if (head.length >= 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'image/jpeg';
  if (head.length >= 6 && /^GIF8[79]a$/.test(head.subarray(0, 6).toString('latin1'))) return 'image/gif';
  if (head.length >= 12 && head.subarray(0, 4).toString('latin1') === 'RIFF' && head.subarray(8, 12).toString('latin1') === 'WEBP') return 'image/webp';
  return null;
}

export class NotAnImageError extends Error {
  constructor(readonly fileName: string) {
    super(`not an image: ${fileName}`);
    this.name = 'NotAnImageError';
  }
}

/**
 * Checks an uploaded file and keeps it under mediaDir; its media id is `upload:<sha256>`, so
 * the same photo sent twice is one piece of evidence. Throws NotAnImageError.
 */
export async function keepPhoto(mediaDir: string, file: { path: string; originalName: string }): Promise<MediaRef> {
  const data = await fs.readFile(file.path);
  const mime = sniffImage(data.subarray(0, 16));
  if (!mime) throw new NotAnImageError(file.originalName);
  const sha256 = crypto.createHash('sha256').update(data).digest('hex');
  const rel = path.join(sha256.slice(0, 2), `${sha256}${EXT[mime]}`);
  const abs = path.resolve(mediaDir, rel);
  await fs.mkdir(path.dirname(abs), { recursive: true });
  await fs.writeFile(abs, data);
  return { mediaId: `upload:${sha256}`, storagePath: rel, mime, size: data.length, sha256 };
}
