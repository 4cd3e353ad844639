/**
 * Sign-in under attack: failed sign-ins are limited per username and per IP (in the database,
 * so every instance shares the count), answered 429 with Retry-After and a Chinese message, and
 * grouped in the event log; concurrent password checks are capped; passwords are limited in
 * bytes. Also the service's security headers on /api and its private upload folder.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describeEachDb } from '../support/db';
import { Client, signedIn, startAdminServer, type AdminServer } from './support';
import { DEFAULT_THROTTLE, LoginThrottle } from '../../src/http/auth/throttle';
import { KnexEventLog } from '../../src/domain/events/events';
import { HasherBusyError, PasswordHasher } from '../../src/http/auth/hasher';
import { hashPassword } from '../../src/http/auth/users';
import { preparePrivateDir } from '../../src/http/private-dir';

const { perUser, perIp, windowMs } = DEFAULT_THROTTLE;

/** A client that the service sees at `ip` (X-Forwarded-For, trusted from a loopback proxy). */
function from(s: AdminServer, ip: string): Client {
  const c = new Client(s.base);
  const req = c.req.bind(c);
  c.req = (method, p, body, headers = {}) => req(method, p, body, { 'x-forwarded-for': ip, ...headers });
  return c;
}

describeEachDb('sign-in throttling', (get) => {
  let s: AdminServer;
  beforeEach(async () => {
    s = await startAdminServer(get());
    await s.users.create({ username: 'boss', role: 'admin', password: 'right-password' }, 'test', s.clock.now());
    await s.users.create({ username: 'clerk', role: 'viewer', password: 'clerk-password' }, 'test', s.clock.now());
  });
  afterEach(() => s.close());

  it('locks a username out after its limit, even from many addresses, until the window ends', async () => {
    for (let i = 0; i < perUser; i++) {
      const r = await from(s, `10.0.0.${i + 1}`).login('boss', `guess-${i}`);
      expect(r.status).toBe(401);
    }
    const locked = await from(s, '10.0.1.1').login('boss', 'right-password');
    expect(locked.status).toBe(429);
    expect(locked.body.message).toMatch(/该账号登录失败次数过多，已暂停登录，请 \d+ 分钟后再试/);
    const retryAfter = Number(locked.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(windowMs / 1000);
    expect(locked.headers.get('set-cookie')).toBeNull();

    // Another user is not affected.
    expect((await from(s, '10.0.1.2').login('clerk', 'clerk-password')).status).toBe(200);

    // Once the window is over, the right password works again, and clears the count.
    s.clock.advance(retryAfter * 1000);
    expect((await from(s, '10.0.1.1').login('boss', 'right-password')).status).toBe(200);
    expect((await from(s, '10.0.1.1').login('boss', 'wrong-again')).status).toBe(401);
    expect((await from(s, '10.0.1.1').login('boss', 'right-password')).status).toBe(200);

    const throttled = await s.ctx.db('events').where({ type: 'user.login_throttled' });
    expect(throttled).toHaveLength(1);
    expect(JSON.parse(throttled[0].data)).toMatchObject({ scope: 'user', username: 'boss', failures: perUser });
  });

  it('stops one address guessing many usernames, and not the others', async () => {
    const guesser = from(s, '203.0.113.9');
    for (let i = 0; i < perIp; i++) {
      expect((await guesser.login(`user${i % 7}`, `guess-${i}`)).status).toBe(401);
    }
    const r = await guesser.login('clerk', 'clerk-password');
    expect(r.status).toBe(429);
    expect(r.body.message).toContain('来自该网络地址的登录失败次数过多');
    expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await from(s, '203.0.113.10').login('clerk', 'clerk-password')).status).toBe(200);
  });

  it('groups failed attempts in the event log: one row per address and username per window, with a count', async () => {
    for (let i = 0; i < 4; i++) await from(s, '198.51.100.7').login('boss', `guess-${i}`);
    await from(s, '198.51.100.8').login('boss', 'another-guess');
    await from(s, '198.51.100.7').login('ghost', 'whatever-pw');
    const rows = await s.ctx.db('events').where({ type: 'user.login_failed' }).orderBy('id');
    expect(rows.map((r: any) => [JSON.parse(r.data).ip, JSON.parse(r.data).username, JSON.parse(r.data).count])).toEqual([
      ['198.51.100.7', 'boss', 4],
      ['198.51.100.8', 'boss', 1],
      ['198.51.100.7', 'ghost', 1],
    ]);
    // The next window starts new rows.
    s.clock.advance(windowMs);
    await from(s, '198.51.100.7').login('boss', 'later-guess');
    expect(await s.ctx.db('events').where({ type: 'user.login_failed' }).count({ n: '*' }).first()).toEqual({ n: 4 });
  });

  it('refuses passwords longer than 72 bytes in UTF-8, in Chinese, whatever their length in characters', async () => {
    const admin = await signedIn(s, 'amy', 'admin');
    const chinese25 = '整'.repeat(25); // 25 characters, 75 bytes
    const create = await admin.post('/users', { username: 'wang', role: 'viewer', password: chinese25 });
    expect(create.status).toBe(400);
    expect(create.body.message).toContain('密码最多 72 字节');
    const user = await s.users.getByUsername('clerk');
    const patch = await admin.patch(`/users/${user!.id}`, { password: chinese25 });
    expect(patch.status).toBe(400);
    expect(patch.body.message).toContain('密码最多 72 字节');
    await expect(s.users.create({ username: 'li', role: 'viewer', password: chinese25 }, 'test', s.clock.now())).rejects.toThrow(/密码最多 72 字节/);
    // 24 Chinese characters are exactly 72 bytes: accepted, and the whole password counts.
    const chinese24 = '改'.repeat(24);
    expect((await admin.post('/users', { username: 'zhao', role: 'viewer', password: chinese24 })).status).toBe(200);
    expect((await new Client(s.base).login('zhao', chinese24)).status).toBe(200);
    expect((await new Client(s.base).login('zhao', '改'.repeat(23) + '正')).status).toBe(401);
  });

  it('keeps uploads in a private folder under DATA_DIR, not the shared temp folder', async () => {
    const dir = path.join(s.ctx.config.dataDir, 'tmp', 'uploads');
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
    expect(path.resolve(dir).startsWith(path.resolve(s.ctx.config.dataDir))).toBe(true);
  });

  it('sends helmet security headers on /api as on the console', async () => {
    for (const p of ['/api/auth/me', '/api/openapi.json', '/admin/']) {
      const res = await fetch(`${s.base}${p}`);
      expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
      expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('referrer-policy')).toBe('same-origin');
      expect(res.headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
      expect(res.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    }
  });
});

describeEachDb('the sign-in count in the database', (get) => {
  it('is shared by instances: one instance sees the lockout another one counted', async () => {
    const events = new KnexEventLog(get().db);
    const a = new LoginThrottle(get().db, events);
    const b = new LoginThrottle(get().db, events);
    const now = new Date('2026-11-23T02:00:00Z');
    for (let i = 0; i < perUser - 1; i++) await (i % 2 ? a : b).failed(`192.0.2.${i}`, 'boss', now);
    expect(await b.blocked('192.0.2.200', 'boss', now)).toBeNull();
    await a.failed('192.0.2.201', 'boss', now);
    expect(await b.blocked('192.0.2.202', 'boss', now)).toMatchObject({ scope: 'user' });
    expect(await b.blocked('192.0.2.202', 'clerk', now)).toBeNull();
    // The right password on either instance clears the username's count for both.
    await b.succeeded('boss');
    expect(await new LoginThrottle(get().db, events).blocked('192.0.2.202', 'boss', now)).toBeNull();
  });
});

describe('password checks at once', () => {
  it('are capped: beyond the threads and the queue a check is refused at once', async () => {
    const hasher = new PasswordHasher({ threads: 1, maxQueue: 1 });
    try {
      const hash = await hasher.hash('right-password', 10);
      const checks = [0, 1, 2].map(() => hasher.compare('right-password', hash).then((ok) => ok, (e) => e));
      const results = await Promise.all(checks);
      expect(results.slice(0, 2)).toEqual([true, true]);
      expect(results[2]).toBeInstanceOf(HasherBusyError);
      // Capacity comes back once they are done; hashing (an admin's action) always queues.
      expect(await hasher.compare('wrong-password', hash)).toBe(false);
      const hashes = await Promise.all([1, 2, 3].map((i) => hasher.hash(`pw-${i}-long-enough`, 4)));
      expect(new Set(hashes).size).toBe(3);
    } finally {
      await hasher.close();
    }
  });

  it('hash compatibly with bcrypt, off the main thread', async () => {
    const bcrypt = await import('bcryptjs');
    const h = await hashPassword('compatible-pw');
    expect(h).toMatch(/^\$2[aby]\$10\$/);
    expect(bcrypt.compareSync('compatible-pw', h)).toBe(true);
  });
});

describe('the private upload folder', () => {
  it('is 0700 and swept of what an earlier run left, sparing what is recent', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'rb-private-'));
    try {
      const dir = path.join(root, 'tmp', 'uploads');
      fs.mkdirSync(path.join(dir, 'old-upload'), { recursive: true, mode: 0o755 });
      fs.chmodSync(dir, 0o755);
      fs.writeFileSync(path.join(dir, 'old-upload', 'notice.xlsx'), 'x');
      fs.writeFileSync(path.join(dir, 'multer-temp'), 'y');
      fs.writeFileSync(path.join(dir, 'fresh'), 'z');
      const hourAgo = (Date.now() - 2 * 60 * 60 * 1000) / 1000;
      fs.utimesSync(path.join(dir, 'old-upload'), hourAgo, hourAgo);
      fs.utimesSync(path.join(dir, 'multer-temp'), hourAgo, hourAgo);
      expect(preparePrivateDir(dir, 60 * 60 * 1000)).toEqual({ swept: 2 });
      expect(fs.readdirSync(dir)).toEqual(['fresh']);
      expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
