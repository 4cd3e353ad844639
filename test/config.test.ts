import { ConfigError, isLoopbackHost, loadConfig, servingProblem } from '../src/config';

describe('configuration', () => {
  it('has working defaults: SQLite under data/, port 3000, Beijing time, 18:00 cutoff, simulator mode', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      databaseUrl: 'sqlite:data/rectify.db',
      port: 3000,
      businessTz: 'Asia/Shanghai',
      workdayCutoff: '18:00',
      defaultWorkingDays: 1,
      repeatThreshold: 2,
      wecom: { credentials: null, apiBase: null, callbackMaxAgeS: 300 },
    });
    expect(c.adminToken).toBeUndefined();
  });

  it('accepts PostgreSQL and in-memory SQLite URLs, and treats empty values as unset', () => {
    expect(loadConfig({ DATABASE_URL: 'postgres://u:p@127.0.0.1/db' }).databaseUrl).toBe('postgres://u:p@127.0.0.1/db');
    expect(loadConfig({ DATABASE_URL: 'sqlite::memory:' }).databaseUrl).toBe('sqlite::memory:');
    expect(loadConfig({ PORT: '  ' }).port).toBe(3000);
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['BUSINESS_TZ', 'Mars/Olympus'],
    ['WORKDAY_CUTOFF', '6pm'],
    ['WORKDAY_CUTOFF', '24:00'],
    ['DATABASE_URL', 'mysql://x'],
    ['ADMIN_TOKEN', 'short'],
    ['DEFAULT_WORKING_DAYS', '0'],
    ['WECOM_CALLBACK_MAX_AGE_S', '-1'],
    ['JOB_OVERDUE_SWEEP_CRON', '61 * * * *'],
    ['JOB_OVERDUE_SWEEP_CRON', '* * *'],
    ['JOBS_ENABLED', 'yes'],
    ['JOB_DIGEST_CRON', '0 25 * * *'],
    ['ESCALATION_LADDER', 'primary:2,backup:1'],
    ['ESCALATION_LADDER', 'boss:0'],
    ['REMINDER_MORNING', '9am'],
    ['REMINDER_BEFORE_MINUTES', '-5'],
    ['QUIET_HOURS', '18:00-08:30'],
    ['QUIET_HOURS_ALLOW', 'reply,everything'],
    ['PUBLIC_URL', 'rectify.example.gov.cn'],
    ['WECOM_OAUTH_BASE', 'open.weixin.qq.com'],
    ['WECOM_LOGIN_BASE', 'https://login.work.weixin.qq.com/?x=1'],
    ['NODE_ENV', 'staging'],
    ['WECOM_SIMULATOR', 'yes'],
    ['HTTP_HEADERS_TIMEOUT_MS', '10s'],
    ['HTTP_HEADERS_TIMEOUT_MS', '50'],
    ['HTTP_REQUEST_TIMEOUT_MS', '0'],
    ['HTTP_KEEP_ALIVE_TIMEOUT_MS', '-1'],
    ['HTTP_MAX_CONNECTIONS', '1'],
  ])('stops on %s=%s with a bilingual message naming the variable', (name, value) => {
    let error: unknown;
    try {
      loadConfig({ [name]: value });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toContain(name);
    expect(message).toMatch(/[\u4e00-\u9fff]/); // Chinese
    expect(message).toMatch(/\(.*[a-z]{3,}.*\)/); // English
  });

  it('reads the follow-up defaults, with quiet hours on only where real WeCom is configured', () => {
    const sim = loadConfig({});
    expect(sim.followup).toMatchObject({ reminderMorning: '09:00', reminderBeforeMinutes: 120, quietHours: null, quietAllow: ['reply', 'card_update'] });
    expect(sim.followup.ladder.map((l) => `${l.role}:${l.afterWorkingDays}`)).toEqual(['primary:0', 'backup:1', 'leader:2', 'supervisor:3']);
    expect(loadConfig({ QUIET_HOURS: '09:00-17:30' }).followup.quietHours).toEqual({ start: '09:00', end: '17:30' });
    const real = loadConfig({
      WECOM_CORP_ID: 'ww1', WECOM_AGENT_ID: '1000002', WECOM_SECRET: 's', WECOM_TOKEN: 't', WECOM_ENCODING_AES_KEY: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C',
    });
    expect(real.followup.quietHours).toEqual({ start: '08:30', end: '18:00' });
    expect(loadConfig({ REMINDER_MORNING: 'off', REMINDER_BEFORE_MINUTES: '0', QUIET_HOURS: 'off' }).followup).toMatchObject({ reminderMorning: null, reminderBeforeMinutes: null, quietHours: null });
  });

  it('sends sign-in from WeCom to WeCom with credentials, to the simulator without, or where told', () => {
    expect(loadConfig({}).wecom).toMatchObject({ oauthBase: null, loginBase: null });
    const creds = { WECOM_CORP_ID: 'ww1', WECOM_AGENT_ID: '1000002', WECOM_SECRET: 's', WECOM_TOKEN: 't', WECOM_ENCODING_AES_KEY: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C' };
    expect(loadConfig(creds).wecom).toMatchObject({ oauthBase: 'https://open.weixin.qq.com', loginBase: 'https://login.work.weixin.qq.com' });
    expect(loadConfig({ ...creds, WECOM_OAUTH_BASE: 'https://wx.example.gov.cn/', WECOM_LOGIN_BASE: 'https://sso.example.gov.cn' }).wecom).toMatchObject({
      oauthBase: 'https://wx.example.gov.cn',
      loginBase: 'https://sso.example.gov.cn',
    });
  });

  it('takes the public address for links without a trailing slash', () => {
    expect(loadConfig({}).publicUrl).toBeUndefined();
    expect(loadConfig({ PUBLIC_URL: 'https://rectify.example.gov.cn/' }).publicUrl).toBe('https://rectify.example.gov.cn');
  });

  it('never echoes a secret in its message', () => {
    expect(() => loadConfig({ ADMIN_TOKEN: 'tiny' })).toThrow(/ADMIN_TOKEN[^\n]*\*\*\*/);
    expect(() => loadConfig({ ADMIN_TOKEN: 'tiny' })).not.toThrow(/tiny/);
  });

  it('wants all WeCom credentials or none', () => {
    expect(() => loadConfig({ WECOM_CORP_ID: 'ww1', WECOM_SECRET: 's' })).toThrow(/WECOM_AGENT_ID.*WECOM_TOKEN.*WECOM_ENCODING_AES_KEY/);
    const full = loadConfig({
      WECOM_CORP_ID: 'wx5823bf96d3bd56c7',
      WECOM_AGENT_ID: '1000002',
      WECOM_SECRET: 'secret',
      WECOM_TOKEN: 'QDG6eK',
      WECOM_ENCODING_AES_KEY: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C',
    });
    expect(full.wecom.credentials?.agentId).toBe(1000002);
    expect(full.wecom.apiBase).toBe('https://qyapi.weixin.qq.com');
  });

  it('takes development only on a loopback HOST when NODE_ENV is unset, production elsewhere', () => {
    expect(loadConfig({})).toMatchObject({ env: 'development', loopback: true, host: '127.0.0.1' });
    expect(loadConfig({ HOST: 'localhost' })).toMatchObject({ env: 'development', loopback: true });
    expect(loadConfig({ HOST: '::1' })).toMatchObject({ env: 'development', loopback: true });
    expect(loadConfig({ HOST: '0.0.0.0' })).toMatchObject({ env: 'production', loopback: false });
    expect(loadConfig({ HOST: '10.1.2.3' })).toMatchObject({ env: 'production', loopback: false });
    // Set, it is taken as it is.
    expect(loadConfig({ HOST: '0.0.0.0', NODE_ENV: 'development' })).toMatchObject({ env: 'development', loopback: false });
    expect(loadConfig({ NODE_ENV: 'production' })).toMatchObject({ env: 'production', loopback: true });
    expect(['127.0.0.1', '127.5.0.9', '::1', '[::1]', 'localhost', 'app.localhost', '::ffff:127.0.0.1'].every(isLoopbackHost)).toBe(true);
    expect(['0.0.0.0', '::', '10.0.0.1', '128.0.0.1', 'example.gov.cn', '127.0.0.1.example.com'].some(isLoopbackHost)).toBe(false);
  });

  it('serves without WeCom credentials only where the simulator is safe', () => {
    const creds = {
      WECOM_CORP_ID: 'ww1', WECOM_AGENT_ID: '1000002', WECOM_SECRET: 's', WECOM_TOKEN: 't', WECOM_ENCODING_AES_KEY: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C',
    };
    expect(servingProblem(loadConfig({}))).toBeNull();
    expect(servingProblem(loadConfig({ NODE_ENV: 'test' }))).toBeNull();
    expect(servingProblem(loadConfig({ NODE_ENV: 'production' }))).toMatch(/生产环境.*WeCom credentials/s);
    expect(servingProblem(loadConfig({ HOST: '0.0.0.0' }))).toMatch(/生产环境/);
    expect(servingProblem(loadConfig({ HOST: '0.0.0.0', NODE_ENV: 'development' }))).toMatch(/WECOM_SIMULATOR=true/);
    expect(servingProblem(loadConfig({ HOST: '0.0.0.0', NODE_ENV: 'development', WECOM_SIMULATOR: 'true' }))).toBeNull();
    expect(servingProblem(loadConfig({ WECOM_SIMULATOR: 'false' }))).toMatch(/WECOM_SIMULATOR=false/);
    expect(servingProblem(loadConfig({ NODE_ENV: 'production', ...creds }))).toBeNull();
    expect(servingProblem(loadConfig({ HOST: '0.0.0.0', ...creds }))).toBeNull();
    // Production refuses the simulator even when asked for; it cannot stand beside credentials.
    expect(() => loadConfig({ NODE_ENV: 'production', WECOM_SIMULATOR: 'true' })).toThrow(/WECOM_SIMULATOR: 生产环境/);
    expect(() => loadConfig({ HOST: '0.0.0.0', WECOM_SIMULATOR: 'true' })).toThrow(/WECOM_SIMULATOR/);
    expect(() => loadConfig({ WECOM_SIMULATOR: 'true', ...creds })).toThrow(/WECOM_SIMULATOR/);
  });

  it('reads the HTTP limits, and wants them in a usable order', () => {
    expect(loadConfig({}).http).toEqual({ headersTimeoutMs: 15_000, requestTimeoutMs: 120_000, keepAliveTimeoutMs: 5_000, maxConnections: 1024 });
    expect(() => loadConfig({ HTTP_HEADERS_TIMEOUT_MS: '30000', HTTP_REQUEST_TIMEOUT_MS: '20000' })).toThrow(/HTTP_HEADERS_TIMEOUT_MS.*(must not exceed)/);
    expect(() => loadConfig({ HTTP_KEEP_ALIVE_TIMEOUT_MS: '20000' })).toThrow(/HTTP_KEEP_ALIVE_TIMEOUT_MS.*(must be less)/);
  });
});
