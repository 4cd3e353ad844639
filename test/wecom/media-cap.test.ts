/**
 * A media file over the limit is cut off while it downloads: WeCom (here a server that would
 * send 200 MB) sees the connection closed long before the end, and nothing is stored.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { MAX_MEDIA_BYTES, MediaStore, MediaTooLargeError } from '../../src/wecom/media';
import { openTestDb, type TestDb } from '../support/db';
import { makeClient } from './support';

const TOTAL = 200 * 1024 * 1024;
const CHUNK = Buffer.alloc(256 * 1024, 0x61);

describe('media download limit', () => {
  let t: TestDb;
  let server: http.Server;
  let url: string;
  let dir: string;
  let written = 0;
  let closedEarly = false;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      if (req.url!.startsWith('/cgi-bin/gettoken')) {
        res.setHeader('Content-Type', 'application/json');
        return void res.end(JSON.stringify({ errcode: 0, errmsg: 'ok', access_token: 'tok', expires_in: 7200 }));
      }
      res.writeHead(200, { 'Content-Type': 'image/png' });
      res.on('close', () => (closedEarly = written < TOTAL));
      const pump = () => {
        while (written < TOTAL && !res.destroyed) {
          written += CHUNK.length;
          if (!res.write(CHUNK)) return void res.once('drain', pump);
        }
        if (!res.destroyed) res.end();
      };
      pump();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));
  beforeEach(async () => {
    t = await openTestDb('sqlite');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rectify-media-'));
  });
  afterEach(async () => {
    await t.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('stops reading at the limit, stores nothing, and WeCom sees the connection closed mid-body', async () => {
    const { client } = makeClient(url, undefined, 30_000);
    const media = new MediaStore(t.db, client, dir);
    await expect(media.fetch('big-one', null, new Date())).rejects.toBeInstanceOf(MediaTooLargeError);
    await new Promise((r) => setTimeout(r, 100));
    expect(closedEarly).toBe(true);
    // Sent until the socket buffers filled after the client hung up: far below the whole body.
    expect(written).toBeLessThan(MAX_MEDIA_BYTES + 32 * 1024 * 1024);
    expect(await t.db('media_files').count({ n: '*' })).toEqual([{ n: 0 }]);
    expect(fs.readdirSync(dir)).toEqual([]);
  }, 60_000);
});
