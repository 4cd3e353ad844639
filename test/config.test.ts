import { ConfigError, loadConfig } from '../src/config';

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
});
