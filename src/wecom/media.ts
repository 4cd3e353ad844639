/** Media a user sent: downloaded from WeCom on receipt (media_id lives 3 days) into MEDIA_DIR. */
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Knex } from 'knex';
import type { WecomClient } from './client';
import { WecomHttpError } from './errors';

export interface StoredMedia {
  mediaId: string;
  storagePath: string;
  mime: string | null;
  size: number;
  sha256: string;
}

const EXT: Record<string, string> = {
  'image/jpeg': '.jpg',
  'image/png': '.png',
  'image/gif': '.gif',
  'image/webp': '.webp',
  'application/pdf': '.pdf',
};

/** The largest file we keep (WeCom's own limit for files is 20 MB). */
export const MAX_MEDIA_BYTES = 20 * 1024 * 1024;

/** The download was cut off at MAX_MEDIA_BYTES: nothing is stored. */
export class MediaTooLargeError extends Error {
  constructor(readonly mediaId: string) {
    super(`media ${mediaId} too large (over ${MAX_MEDIA_BYTES} bytes): download stopped`);
    this.name = 'MediaTooLargeError';
  }
}

export class MediaStore {
  constructor(
    private readonly db: Knex,
    private readonly client: WecomClient,
    private readonly dir: string,
  ) {}

  async fetch(mediaId: string, inboundId: number | null, at: Date): Promise<StoredMedia> {
    const known = await this.db('media_files').where({ media_id: mediaId }).first();
    if (known) return fromRow(known);
    let dl;
    try {
      dl = await this.client.getMedia(mediaId, MAX_MEDIA_BYTES);
    } catch (e) {
      if (e instanceof WecomHttpError && e.code === 'ETOOLARGE') throw new MediaTooLargeError(mediaId);
      throw e;
    }
    const sha256 = crypto.createHash('sha256').update(dl.data).digest('hex');
    const mime = dl.contentType ? dl.contentType.split(';')[0].trim().toLowerCase() : null;
    const ext = (mime && EXT[mime]) ?? (dl.fileName ? path.extname(dl.fileName).slice(0, 10).replace(/[^.\w]/g, '') : '') ?? '';
    const rel = path.join(sha256.slice(0, 2), `${sha256}${ext}`);
    const abs = path.resolve(this.dir, rel);
    await fs.mkdir(path.dirname(abs), { recursive: true });
    await fs.writeFile(abs, dl.data);
    await this.db('media_files')
      .insert({
        media_id: mediaId,
        inbound_id: inboundId,
        storage_path: rel,
        mime,
        file_name: dl.fileName?.slice(0, 300) ?? null,
        size: dl.data.length,
        sha256,
        created_at: at.getTime(),
      })
      .onConflict('media_id')
      .ignore();
    return fromRow(await this.db('media_files').where({ media_id: mediaId }).first());
  }

  resolve(storagePath: string): string {
    return path.resolve(this.dir, storagePath);
  }
}

function fromRow(r: any): StoredMedia {
  return { mediaId: r.media_id, storagePath: r.storage_path, mime: r.mime ?? null, size: Number(r.size), sha256: r.sha256 };
}
