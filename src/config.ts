/**
 * Configuration: read from the environment once at start-up, validated with zod.
 * A bad value stops the process with a message that names the variable, in Chinese and English.
 * Every variable is listed, with its default and meaning, in `.env.example` and the README.
 */
import { IANAZone } from 'luxon';
import { z } from 'zod';
import { cronProblem } from './cron';
import { DEFAULT_QUIET_ALLOW, DEFAULT_WORK_HOURS, MESSAGE_PURPOSES } from './domain/followup/defaults';
import { parseLadder, type LadderStep } from './domain/followup/ladder';
import { parseWorkHours, type WorkHours } from './domain/followup/quiet-hours';
import { parseAllowList } from './domain/recheck/guard';
import { DEFAULT_USER_AGENT, type RecheckConfig } from './domain/recheck';
import type { InputLimits } from './domain/import/limits';
import type { IsolationLimits } from './parsing/isolated';

const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$/;

const intVar = (min: number, max: number, fallback: number) =>
  z.coerce
    .number({ message: '须为整数 (must be an integer)' })
    .int('须为整数 (must be an integer)')
    .min(min, `须在 ${min}–${max} 之间 (must be between ${min} and ${max})`)
    .max(max, `须在 ${min}–${max} 之间 (must be between ${min} and ${max})`)
    .default(fallback);

function allowListProblem(v: string): string | null {
  try {
    parseAllowList(v);
    return null;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

const cronVar = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .superRefine((v, c) => {
      const problem = cronProblem(v);
      if (problem) c.addIssue({ code: 'custom', message: `${problem} (must be a 5-field cron expression)` });
    });

/** A duration in milliseconds within [min, max]. */
const msVar = (fallback: number, min: number, max: number) =>
  z.coerce
    .number({ message: '须为整数毫秒数 (must be an integer number of milliseconds)' })
    .int('须为整数毫秒数 (must be an integer number of milliseconds)')
    .min(min, `须在 ${min}–${max} 毫秒之间 (must be between ${min} and ${max} ms)`)
    .max(max, `须在 ${min}–${max} 毫秒之间 (must be between ${min} and ${max} ms)`)
    .default(fallback);

/** Each field carries its own bilingual message so the error names what is wrong and why. */
const schema = z.object({
  // Unset: development on a loopback HOST, production otherwise (see resolveEnv).
  NODE_ENV: z.enum(['development', 'production', 'test'], {
    message: '须为 development、production 或 test (must be development, production or test)',
  }).optional(),
  DATABASE_URL: z
    .string()
    .default('sqlite:data/rectify.db')
    .refine((v) => /^sqlite:.+/.test(v) || /^postgres(ql)?:\/\/.+/.test(v), {
      message:
        '须为 sqlite:<文件路径>、sqlite::memory: 或 postgres://… (must be sqlite:<path>, sqlite::memory: or postgres://…)',
    }),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: z.coerce
    .number({ message: '须为整数 (must be an integer)' })
    .int('须为整数 (must be an integer)')
    .min(0, '须在 0–65535 之间 (must be between 0 and 65535)')
    .max(65535, '须在 0–65535 之间 (must be between 0 and 65535)')
    .default(3000),
  BUSINESS_TZ: z
    .string()
    .default('Asia/Shanghai')
    .refine((v) => IANAZone.isValidZone(v), {
      message: '不是有效的 IANA 时区名，例如 Asia/Shanghai (not a valid IANA time zone, e.g. Asia/Shanghai)',
    }),
  WORKDAY_CUTOFF: z
    .string()
    .default('18:00')
    .refine((v) => HHMM.test(v), { message: '须为 HH:MM 格式，例如 18:00 (must be HH:MM, e.g. 18:00)' }),
  DEFAULT_WORKING_DAYS: z.coerce
    .number({ message: '须为整数 (must be an integer)' })
    .int('须为整数 (must be an integer)')
    .min(1, '须在 1–60 之间 (must be between 1 and 60)')
    .max(60, '须在 1–60 之间 (must be between 1 and 60)')
    .default(1),
  REPEAT_THRESHOLD: z.coerce
    .number({ message: '须为整数 (must be an integer)' })
    .int('须为整数 (must be an integer)')
    .min(2, '须不小于 2 (must be at least 2)')
    .max(20, '须不大于 20 (must be at most 20)')
    .default(2),
  ADMIN_TOKEN: z
    .string()
    .min(16, '至少 16 个字符 (must be at least 16 characters)')
    .optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  MEDIA_DIR: z.string().min(1).default('data/media'),
  PUBLIC_URL: z
    .string()
    .regex(/^https?:\/\/[^\s/]+(\/[^\s]*)?$/, '须为 http(s):// 开头的地址，例如 https://rectify.example.gov.cn (must be an http(s) URL)')
    .transform((u) => u.replace(/\/+$/, ''))
    .optional(),
  WECOM_CORP_ID: z.string().min(1).optional(),
  WECOM_AGENT_ID: z.coerce
    .number({ message: '须为整数 (must be an integer)' })
    .int('须为整数 (must be an integer)')
    .positive('须为正整数 (must be a positive integer)')
    .optional(),
  WECOM_SECRET: z.string().min(1).optional(),
  WECOM_TOKEN: z.string().min(1).optional(),
  WECOM_ENCODING_AES_KEY: z
    .string()
    .regex(/^[A-Za-z0-9+/]{43}$/, '须为 43 个 base64 字符 (must be 43 base64 characters)')
    .optional(),
  WECOM_API_BASE: z
    .string()
    .url('须为 URL，例如 https://qyapi.weixin.qq.com (must be a URL)')
    .optional(),
  WECOM_OAUTH_BASE: z
    .string()
    .regex(/^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/, '须为 http(s):// 开头、不带查询参数的地址，例如 https://open.weixin.qq.com (must be an http(s) URL without a query)')
    .transform((u) => u.replace(/\/+$/, ''))
    .optional(),
  WECOM_LOGIN_BASE: z
    .string()
    .regex(/^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/, '须为 http(s):// 开头、不带查询参数的地址，例如 https://login.work.weixin.qq.com (must be an http(s) URL without a query)')
    .transform((u) => u.replace(/\/+$/, ''))
    .optional(),
  JOBS_ENABLED: z.enum(['true', 'false'], { message: '须为 true 或 false (must be true or false)' }).default('true'),
  JOB_OVERDUE_SWEEP_CRON: cronVar('* * * * *'),
  JOB_NOTIFY_CRON: cronVar('* * * * *'),
  JOB_REMINDER_CRON: cronVar('* * * * *'),
  JOB_LADDER_CRON: cronVar('* * * * *'),
  JOB_DIGEST_CRON: cronVar('0 9 * * *'),
  JOB_REPEAT_CRON: cronVar('*/5 * * * *'),
  JOB_CALENDAR_WARNING_CRON: cronVar('0 10 * 11-12 1'),
  JOB_RECHECK_CRON: cronVar('0 3 * * 1'),
  RECHECK_ENABLED: z.enum(['true', 'false'], { message: '须为 true 或 false (must be true or false)' }).default('true'),
  RECHECK_ALLOW_ADDRESSES: z
    .string()
    .default('')
    .refine((v) => allowListProblem(v) === null, { message: '须为逗号分隔的 IP 地址或网段，例如 127.0.0.1,10.0.0.0/8 (must be comma-separated IPs or CIDR ranges)' }),
  RECHECK_TIMEOUT_MS: intVar(1000, 120_000, 15_000),
  RECHECK_MAX_BYTES: intVar(65_536, 50 * 1024 * 1024, 2 * 1024 * 1024),
  RECHECK_SLOW_MS: intVar(100, 120_000, 5000),
  RECHECK_MAX_LINKS: intVar(0, 500, 30),
  RECHECK_CONCURRENCY: intVar(1, 64, 16),
  RECHECK_REVIEW_WAIT_MS: intVar(0, 30_000, 30_000),
  RECHECK_BROWSER: z.string().min(1).default('auto'),
  RECHECK_USER_AGENT: z
    .string()
    .max(300, '不能超过 300 个字符 (at most 300 characters)')
    .regex(/^[\x20-\x7e]+$/, '只能包含 ASCII 可打印字符 (printable ASCII only: it is an HTTP header)')
    .default(DEFAULT_USER_AGENT),
  ESCALATION_LADDER: z
    .string()
    .default('primary:0,backup:1,leader:2,supervisor:3')
    .superRefine((v, c) => {
      try {
        parseLadder(v);
      } catch (e) {
        c.addIssue({ code: 'custom', message: `${(e as Error).message} (e.g. primary:0,backup:1,leader:2,supervisor:3)` });
      }
    }),
  REMINDER_MORNING: z
    .string()
    .default('09:00')
    .refine((v) => v === 'off' || HHMM.test(v), { message: '须为 HH:MM 或 off，例如 09:00 (must be HH:MM or off)' }),
  REMINDER_BEFORE_MINUTES: z.coerce
    .number({ message: '须为整数 (must be an integer)' })
    .int('须为整数 (must be an integer)')
    .min(0, '须在 0–1440 之间，0 表示不提醒 (must be between 0 and 1440; 0: off)')
    .max(1440, '须在 0–1440 之间，0 表示不提醒 (must be between 0 and 1440; 0: off)')
    .default(120),
  QUIET_HOURS: z
    .string()
    .optional()
    .refine((v) => v === undefined || v === 'off' || parseWorkHours(v) !== null, {
      message: '须为 HH:MM-HH:MM（开始早于结束）或 off，例如 08:30-18:00 (must be HH:MM-HH:MM or off)',
    }),
  QUIET_HOURS_ALLOW: z
    .string()
    .default(DEFAULT_QUIET_ALLOW.join(','))
    .refine((v) => v.split(',').every((p) => p.trim() === '' || p.trim() in MESSAGE_PURPOSES), {
      message: `须为逗号分隔的消息用途，可用 (must be comma-separated purposes of): ${Object.keys(MESSAGE_PURPOSES).join(',')}`,
    }),
  WECOM_CARDS: z.enum(['true', 'false'], { message: '须为 true 或 false (must be true or false)' }).default('true'),
  WECOM_CALLBACK_MAX_AGE_S: z.coerce
    .number({ message: '须为整数 (must be an integer)' })
    .int('须为整数 (must be an integer)')
    .min(0, '不能为负数 (must not be negative)')
    .default(300),
  WECOM_SIMULATOR: z.enum(['true', 'false'], { message: '须为 true 或 false (must be true or false)' }).optional(),
  DATA_DIR: z.string().min(1).default('data'),
  HTTP_HEADERS_TIMEOUT_MS: msVar(15_000, 1_000, 600_000),
  HTTP_REQUEST_TIMEOUT_MS: msVar(120_000, 1_000, 3_600_000),
  HTTP_KEEP_ALIVE_TIMEOUT_MS: msVar(5_000, 100, 600_000),
  HTTP_MAX_CONNECTIONS: z.coerce
    .number({ message: '须为整数 (must be an integer)' })
    .int('须为整数 (must be an integer)')
    .min(16, '须在 16–100000 之间 (must be between 16 and 100000)')
    .max(100_000, '须在 16–100000 之间 (must be between 16 and 100000)')
    .default(1024),
  IMPORT_MAX_ROWS: z.coerce
    .number({ message: '须为整数 (must be an integer)' })
    .int('须为整数 (must be an integer)')
    .min(1, '须在 1–10000000 之间 (must be between 1 and 10000000)')
    .max(10000000, '须在 1–10000000 之间 (must be between 1 and 10000000)')
    .default(100000),
  IMPORT_MAX_UNPACKED_MB: z.coerce
    .number({ message: '须为整数 (must be an integer)' })
    .int('须为整数 (must be an integer)')
    .min(1, '须在 1–10000 之间 (must be between 1 and 10000)')
    .max(10000, '须在 1–10000 之间 (must be between 1 and 10000)')
    .default(100),
  PARSE_MAX_HEAP_MB: z.coerce
    .number({ message: '须为整数 (must be an integer)' })
    .int('须为整数 (must be an integer)')
    .min(64, '须在 64–16384 之间 (must be between 64 and 16384)')
    .max(16384, '须在 64–16384 之间 (must be between 64 and 16384)')
    .default(512),
  PARSE_TIMEOUT_S: z.coerce
    .number({ message: '须为整数 (must be an integer)' })
    .int('须为整数 (must be an integer)')
    .min(1, '须在 1–3600 之间 (must be between 1 and 3600)')
    .max(3600, '须在 1–3600 之间 (must be between 1 and 3600)')
    .default(120),
  INSTANCE_ID: z
    .string()
    .regex(/^[A-Za-z0-9._:-]{1,80}$/, '须为 1–80 个字母、数字或 . _ : - (must be 1–80 letters, digits or . _ : -)')
    .optional(),
});

type Raw = z.infer<typeof schema>;

export interface WecomCredentials {
  corpId: string;
  agentId: number;
  secret: string;
  token: string;
  encodingAesKey: string;
}

export type NodeEnv = 'development' | 'production' | 'test';

export interface Config {
  /** NODE_ENV, or when unset: development on a loopback HOST, production otherwise. */
  env: NodeEnv;
  /**
   * HOST is a loopback address (127.0.0.0/8, ::1, localhost): only this machine can connect.
   * Conveniences for trying the product (the simulator without asking, a generated admin) need it.
   */
  loopback: boolean;
  /** Where the service keeps its own files: the private temp folder for uploads (tmp/). */
  dataDir: string;
  /** Limits on HTTP connections (slow clients are cut off; a reverse proxy belongs in front). */
  http: {
    headersTimeoutMs: number;
    requestTimeoutMs: number;
    keepAliveTimeoutMs: number;
    maxConnections: number;
  };
  databaseUrl: string;
  host: string;
  port: number;
  businessTz: string;
  /** Cutoff time of a working day in the business time zone, "HH:MM". */
  workdayCutoff: string;
  defaultWorkingDays: number;
  repeatThreshold: number;
  adminToken?: string;
  logLevel: Raw['LOG_LEVEL'];
  mediaDir: string;
  /** The address users reach this service at (links to the console in bot messages). */
  publicUrl?: string;
  jobs: {
    /** Run the scheduler in this process (false: only `cli tick` runs jobs). */
    enabled: boolean;
    overdueSweepCron: string;
    /** notify_new_orders: cards for new work orders. */
    notifyCron: string;
    reminderCron: string;
    ladderCron: string;
    digestCron: string;
    repeatCron: string;
    /** Weekly warning to admins while next year's holiday arrangement is missing (November–December only). */
    calendarWarningCron: string;
    recheckCron: string;
  };
  /** Automatic re-checks of flagged websites. */
  recheck: RecheckConfig & { enabled: boolean };
  /** Defaults of the follow-up settings (admins may change them; the database value wins). */
  followup: {
    ladder: LadderStep[];
    /** Time of day (business time) of the reminder on the due day; null: none. */
    reminderMorning: string | null;
    /** Minutes before the deadline of the second reminder; null: none. */
    reminderBeforeMinutes: number | null;
    /** Working hours outside which proactive messages are held; null: no quiet hours. */
    quietHours: WorkHours | null;
    /** Message purposes sent at any time. */
    quietAllow: string[];
  };
  wecom: {
    /** Real credentials, or null: then the built-in simulator stands in for WeCom. */
    credentials: WecomCredentials | null;
    /** WECOM_SIMULATOR: true (asked for explicitly), false (never), or null (unset). */
    simulator: boolean | null;
    /** Base URL of the WeCom API; null means "the built-in simulator on this service". */
    apiBase: string | null;
    /**
     * Where the in-app sign-in (网页授权, connect/oauth2/authorize) and the desktop QR sign-in
     * (wwlogin/sso/login) are; null means "the built-in simulator on this service".
     */
    oauthBase: string | null;
    loginBase: string | null;
    callbackMaxAgeS: number;
    /** Send work orders as template cards (false: as text). */
    cards: boolean;
  };
  /** Bounds on imported and uploaded files (checked before parsing) and on their parsing. */
  input: {
    limits: InputLimits;
    isolation: IsolationLimits;
  };
  /**
   * This instance's stable name (leases on jobs, outbox and inbound rows are held in it): a
   * restarted instance with the same name takes back its own leases at once. Unset: one is
   * generated per process (host, pid, random), and a dead process's leases run out first.
   */
  instanceId?: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`配置错误 (invalid configuration):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const WECOM_CREDENTIAL_VARS = [
  'WECOM_CORP_ID',
  'WECOM_AGENT_ID',
  'WECOM_SECRET',
  'WECOM_TOKEN',
  'WECOM_ENCODING_AES_KEY',
] as const;

/** Parses the environment. Empty strings count as unset, as in most .env files. */
export function loadConfig(vars: NodeJS.ProcessEnv = process.env): Config {
  const input: Record<string, string> = {};
  for (const key of Object.keys(schema.shape)) {
    const value = vars[key];
    if (value !== undefined && value.trim() !== '') input[key] = value.trim();
  }
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? '?');
      const shown = input[name] === undefined ? '' : `，当前值 (value) "${mask(name, input[name])}"`;
      return `${name}: ${issue.message}${shown}`;
    });
    throw new ConfigError(problems);
  }
  const raw = parsed.data;
  const present = WECOM_CREDENTIAL_VARS.filter((k) => raw[k] !== undefined);
  if (present.length > 0 && present.length < WECOM_CREDENTIAL_VARS.length) {
    const missing = WECOM_CREDENTIAL_VARS.filter((k) => raw[k] === undefined);
    throw new ConfigError([
      `${missing.join(', ')}: 已配置部分企业微信凭据，缺少这些变量；全部不配置则使用内置模拟器 ` +
        `(some WeCom credentials are set but these are missing; set none of them to use the built-in simulator)`,
    ]);
  }
  const problems: string[] = [];
  if (raw.HTTP_HEADERS_TIMEOUT_MS > raw.HTTP_REQUEST_TIMEOUT_MS) {
    problems.push(
      'HTTP_HEADERS_TIMEOUT_MS: 不能大于 HTTP_REQUEST_TIMEOUT_MS (must not exceed HTTP_REQUEST_TIMEOUT_MS)' +
        `，当前值 (value) ${raw.HTTP_HEADERS_TIMEOUT_MS} > ${raw.HTTP_REQUEST_TIMEOUT_MS}`,
    );
  }
  if (raw.HTTP_KEEP_ALIVE_TIMEOUT_MS >= raw.HTTP_HEADERS_TIMEOUT_MS) {
    problems.push(
      'HTTP_KEEP_ALIVE_TIMEOUT_MS: 须小于 HTTP_HEADERS_TIMEOUT_MS (must be less than HTTP_HEADERS_TIMEOUT_MS)' +
        `，当前值 (value) ${raw.HTTP_KEEP_ALIVE_TIMEOUT_MS} ≥ ${raw.HTTP_HEADERS_TIMEOUT_MS}`,
    );
  }
  const loopback = isLoopbackHost(raw.HOST);
  const env: NodeEnv = raw.NODE_ENV ?? (loopback ? 'development' : 'production');
  if (raw.WECOM_SIMULATOR === 'true' && present.length > 0) {
    problems.push(
      'WECOM_SIMULATOR: 已配置企业微信凭据时不能启用模拟器 (cannot be true when WeCom credentials are set)',
    );
  }
  if (raw.WECOM_SIMULATOR === 'true' && env === 'production') {
    problems.push(
      'WECOM_SIMULATOR: 生产环境（NODE_ENV=production）不允许启用企业微信模拟器，请配置 WECOM_* 凭据 ' +
        '(the WeCom simulator is refused in production: set the WECOM_* credentials)',
    );
  }
  if (problems.length) throw new ConfigError(problems);
  const credentials: WecomCredentials | null =
    present.length === WECOM_CREDENTIAL_VARS.length
      ? {
          corpId: raw.WECOM_CORP_ID!,
          agentId: raw.WECOM_AGENT_ID!,
          secret: raw.WECOM_SECRET!,
          token: raw.WECOM_TOKEN!,
          encodingAesKey: raw.WECOM_ENCODING_AES_KEY!,
        }
      : null;
  return {
    env,
    loopback,
    dataDir: raw.DATA_DIR,
    http: {
      headersTimeoutMs: raw.HTTP_HEADERS_TIMEOUT_MS,
      requestTimeoutMs: raw.HTTP_REQUEST_TIMEOUT_MS,
      keepAliveTimeoutMs: raw.HTTP_KEEP_ALIVE_TIMEOUT_MS,
      maxConnections: raw.HTTP_MAX_CONNECTIONS,
    },
    databaseUrl: raw.DATABASE_URL,
    host: raw.HOST,
    port: raw.PORT,
    businessTz: raw.BUSINESS_TZ,
    workdayCutoff: raw.WORKDAY_CUTOFF,
    defaultWorkingDays: raw.DEFAULT_WORKING_DAYS,
    repeatThreshold: raw.REPEAT_THRESHOLD,
    adminToken: raw.ADMIN_TOKEN,
    logLevel: raw.LOG_LEVEL,
    mediaDir: raw.MEDIA_DIR,
    publicUrl: raw.PUBLIC_URL,
    jobs: {
      enabled: raw.JOBS_ENABLED === 'true',
      overdueSweepCron: raw.JOB_OVERDUE_SWEEP_CRON,
      notifyCron: raw.JOB_NOTIFY_CRON,
      reminderCron: raw.JOB_REMINDER_CRON,
      ladderCron: raw.JOB_LADDER_CRON,
      digestCron: raw.JOB_DIGEST_CRON,
      repeatCron: raw.JOB_REPEAT_CRON,
      calendarWarningCron: raw.JOB_CALENDAR_WARNING_CRON,
      recheckCron: raw.JOB_RECHECK_CRON,
    },
    recheck: {
      enabled: raw.RECHECK_ENABLED === 'true',
      userAgent: raw.RECHECK_USER_AGENT,
      timeoutMs: raw.RECHECK_TIMEOUT_MS,
      maxBytes: raw.RECHECK_MAX_BYTES,
      slowMs: raw.RECHECK_SLOW_MS,
      maxLinks: raw.RECHECK_MAX_LINKS,
      concurrency: raw.RECHECK_CONCURRENCY,
      reviewWaitMs: raw.RECHECK_REVIEW_WAIT_MS,
      allowAddresses: raw.RECHECK_ALLOW_ADDRESSES,
      browser: raw.RECHECK_BROWSER,
    },
    followup: {
      ladder: parseLadder(raw.ESCALATION_LADDER),
      reminderMorning: raw.REMINDER_MORNING === 'off' ? null : raw.REMINDER_MORNING,
      reminderBeforeMinutes: raw.REMINDER_BEFORE_MINUTES === 0 ? null : raw.REMINDER_BEFORE_MINUTES,
      // Unset: 08:30-18:00, except with the built-in simulator, where people try it at any hour.
      quietHours:
        raw.QUIET_HOURS === 'off' || (raw.QUIET_HOURS === undefined && !credentials)
          ? null
          : parseWorkHours(raw.QUIET_HOURS ?? DEFAULT_WORK_HOURS),
      quietAllow: raw.QUIET_HOURS_ALLOW.split(',').map((p) => p.trim()).filter(Boolean),
    },
    wecom: {
      credentials,
      simulator: raw.WECOM_SIMULATOR === undefined ? null : raw.WECOM_SIMULATOR === 'true',
      apiBase: raw.WECOM_API_BASE ?? (credentials ? 'https://qyapi.weixin.qq.com' : null),
      oauthBase: raw.WECOM_OAUTH_BASE ?? (credentials ? 'https://open.weixin.qq.com' : null),
      loginBase: raw.WECOM_LOGIN_BASE ?? (credentials ? 'https://login.work.weixin.qq.com' : null),
      callbackMaxAgeS: raw.WECOM_CALLBACK_MAX_AGE_S,
      cards: raw.WECOM_CARDS === 'true',
    },
    input: {
      limits: { maxRows: raw.IMPORT_MAX_ROWS, maxUnpackedBytes: raw.IMPORT_MAX_UNPACKED_MB * 1024 * 1024 },
      isolation: { maxHeapMb: raw.PARSE_MAX_HEAP_MB, timeoutMs: raw.PARSE_TIMEOUT_S * 1000 },
    },
    instanceId: raw.INSTANCE_ID,
  };
}

/** 127.0.0.0/8, ::1 (also as ::ffff:127.x) and localhost: only this machine can connect. */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  const v4 = h.startsWith('::ffff:') ? h.slice(7) : h;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}

/**
 * Whether this configuration may serve HTTP: without WeCom credentials the built-in simulator
 * stands in for WeCom, which is for trying the product. It runs by itself only on a loopback
 * HOST outside production; on any other address it must be asked for (WECOM_SIMULATOR=true),
 * and production never runs it (loadConfig refuses WECOM_SIMULATOR=true there).
 * Returns the problem (Chinese and English), or null.
 */
export function servingProblem(config: Config): string | null {
  if (config.wecom.credentials) return null;
  const vars = WECOM_CREDENTIAL_VARS.join(', ');
  if (config.env === 'production') {
    return (
      `${vars}: 生产环境（NODE_ENV=production，或未设置 NODE_ENV 且 HOST 不是本机回环地址）须配置企业微信凭据，` +
      `不会启用模拟器 (production needs the WeCom credentials; the simulator is not started: ` +
      `NODE_ENV=production, or NODE_ENV unset and HOST not a loopback address)`
    );
  }
  if (config.wecom.simulator === false) {
    return `${vars}: 未配置企业微信凭据，且 WECOM_SIMULATOR=false (no WeCom credentials, and WECOM_SIMULATOR=false)`;
  }
  if (!config.loopback && config.wecom.simulator !== true) {
    return (
      `${vars}: HOST=${config.host} 不是本机回环地址，未配置企业微信凭据时须显式设置 WECOM_SIMULATOR=true 才会启用模拟器 ` +
      `(HOST is not a loopback address: without WeCom credentials set WECOM_SIMULATOR=true to run the simulator)`
    );
  }
  return null;
}

const SECRET_VARS = new Set(['ADMIN_TOKEN', 'WECOM_SECRET', 'WECOM_TOKEN', 'WECOM_ENCODING_AES_KEY']);

function mask(name: string, value: string): string {
  if (SECRET_VARS.has(name)) return '***';
  if (name === 'DATABASE_URL') return value.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
  return value;
}
