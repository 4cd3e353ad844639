/** `cli users …` and the development-mode first admin. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { runCli, ROOT } from '../support/spawn';
import { createContext } from '../../src/app/context';
import { ensureDevelopmentAdmin } from '../../src/http/admin';
import { UserStore } from '../../src/http/auth/users';
import { testConfig } from '../support/config';
import { describeEachDb } from '../support/db';

describe('cli users', () => {
  let dir: string;
  let env: Record<string, string>;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rectify-users-'));
    env = { DATABASE_URL: `sqlite:${path.join(dir, 'db.sqlite')}` };
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('adds an admin with a generated password that signs in, lists, disables and resets', async () => {
    const add = runCli(['users', 'add', 'boss', '--role', 'admin', '--json'], env);
    expect(add.stderr).toBe('');
    expect(add.status).toBe(0);
    const { password } = JSON.parse(add.stdout);
    expect(password).toMatch(/^[A-Za-z0-9]{16}$/);

    const ctx = await createContext(testConfig(env));
    try {
      const users = new UserStore(ctx.db, ctx.events);
      expect((await users.authenticate('boss', password))?.role).toBe('admin');
      expect(runCli(['users', 'add', 'boss'], env).stderr).toBe('错误：用户名已存在：boss\n');
      const bad = runCli(['users', 'add', 'x1', '--role', 'root'], env);
      expect(bad.status).not.toBe(0);
      expect(bad.stderr).toContain('角色须为 admin、supervisor、viewer 之一');
      expect(bad.stdout).toBe('');

      const piped = spawnSync(process.execPath, [path.join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'src/cli/main.ts', 'users', 'add', 'vic', '--password-stdin'], {
        cwd: ROOT,
        env: { ...process.env, LOG_LEVEL: 'silent', ...env },
        input: 'typed-password\n',
        encoding: 'utf8',
      });
      expect(piped.status).toBe(0);
      expect(piped.stdout).toBe('已创建用户 vic（只读）\n');
      expect((await users.authenticate('vic', 'typed-password'))?.role).toBe('viewer');

      expect(runCli(['users', 'list'], env).stdout).toMatch(/1\tboss\t管理员\t启用\n2\tvic\t只读\t启用/);
      expect(runCli(['users', 'disable', 'vic'], env).stdout).toBe('已停用用户 vic\n');
      expect(await users.authenticate('vic', 'typed-password')).toBeNull();
      const reset = runCli(['users', 'reset', 'boss'], env);
      const newPassword = /：(\S+)\n$/.exec(reset.stdout)![1];
      expect(await users.authenticate('boss', password)).toBeNull();
      expect((await users.authenticate('boss', newPassword))?.username).toBe('boss');
      expect(runCli(['users', 'reset', 'ghost'], env).stderr).toBe('错误：用户不存在：ghost\n');
      const actors = await ctx.db('events').where('type', 'like', 'user.%').select('actor');
      expect(new Set(actors.map((a: any) => a.actor))).toEqual(new Set(['cli']));
    } finally {
      await ctx.close();
    }
  }, 60_000);
});

describeEachDb('first admin in development', (get) => {
  it('is created once, only in development on a loopback address, its password never logged', async () => {
    const logged: unknown[] = [];
    const logger = { warn: (...a: unknown[]) => logged.push(a), info: (...a: unknown[]) => logged.push(a), error: () => undefined, debug: () => undefined } as any;
    const test = await createContext(testConfig(), { db: get().db, migrate: false });
    expect(await ensureDevelopmentAdmin(test)).toBeNull();
    // Development bound to every address is not a local trial: no account is made.
    const exposed = await createContext(testConfig({ NODE_ENV: 'development', HOST: '0.0.0.0' }), { db: get().db, migrate: false, logger });
    expect(await ensureDevelopmentAdmin(exposed)).toBeNull();
    expect(await new UserStore(exposed.db, exposed.events).count()).toBe(0);
    const dev = await createContext(testConfig({ NODE_ENV: 'development' }), { db: get().db, migrate: false, logger });
    const first = await ensureDevelopmentAdmin(dev);
    expect(first?.username).toBe('admin');
    expect(first!.password).toHaveLength(16);
    expect(logged).toHaveLength(1);
    expect(JSON.stringify(logged)).toContain('已创建管理员 admin');
    expect(JSON.stringify(logged)).not.toContain(first!.password);
    expect(await ensureDevelopmentAdmin(dev)).toBeNull();
    expect((await new UserStore(dev.db, dev.events).authenticate('admin', first!.password))?.role).toBe('admin');
  });
});
