/**
 * Console users: who may sign in, with which role, and (for supervisors) which contact they are.
 * Passwords are hashed with bcrypt (bcryptjs: pure JavaScript, nothing to compile or download),
 * in worker threads (hasher.ts) so that sign-in never stalls the event loop.
 */
import crypto from 'node:crypto';
import type { Knex } from 'knex';
import { toBool } from '../../db/knex';
import { table, type DbBool } from '../../db/tables';
import type { EventLog } from '../../domain/events/events';
import { passwordHasher } from './hasher';

/** Roles of password accounts (made by an admin). */
export const ROLES = ['admin', 'supervisor', 'viewer'] as const;
export type PasswordRole = (typeof ROLES)[number];
/**
 * Every role a console session may have: a unit contact ('contact') only ever signs in from
 * WeCom, and never has a password account.
 */
export type Role = PasswordRole | 'contact';
export const ROLE_LABELS: Record<Role, string> = { admin: '管理员', supervisor: '督办人', viewer: '只读', contact: '单位联系人' };

/** A role a password account may have. */
export function isRole(v: string): v is PasswordRole {
  return (ROLES as readonly string[]).includes(v);
}

/** What a WeCom account's password_hash holds: no password matches it. */
const NO_PASSWORD = '!';

export interface User {
  id: number;
  username: string;
  displayName: string | null;
  role: Role;
  contactId: number | null;
  /** Set for an account that signs in from WeCom (no password). */
  wecomUserid: string | null;
  active: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export class UserError extends Error {
  constructor(
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = 'UserError';
  }
}

const BCRYPT_ROUNDS = 10;
const USERNAME = /^[A-Za-z0-9_.@-]{2,64}$/;
export const MIN_PASSWORD_LENGTH = 8;
/** bcrypt uses the first 72 bytes of a password and ignores the rest: longer ones are refused. */
export const MAX_PASSWORD_BYTES = 72;
export const PASSWORD_TOO_LONG = `密码最多 ${MAX_PASSWORD_BYTES} 字节（按 UTF-8 计：英文字母、数字和符号各 1 字节，汉字 3 字节）`;

export function passwordTooLong(password: string): boolean {
  return Buffer.byteLength(password, 'utf8') > MAX_PASSWORD_BYTES;
}

export function hashPassword(password: string): Promise<string> {
  return passwordHasher().hash(password, BCRYPT_ROUNDS);
}

/** Throws HasherBusyError when too many checks are already waiting (the sign-in cap). */
export function verifyPassword(password: string, hash: string): Promise<boolean> {
  return passwordHasher().compare(password, hash);
}

/** A random password people can type: 16 characters without look-alikes. */
let dummy: Promise<string> | null = null;
const dummyHash = () => (dummy ??= hashPassword(crypto.randomBytes(16).toString('hex')));

export function generatePassword(): string {
  const alphabet = 'abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  const bytes = crypto.randomBytes(16);
  return [...bytes].map((b) => alphabet[b % alphabet.length]).join('');
}

/** A users row as the drivers return it (see src/db/tables.ts). */
interface UserRow {
  id: number;
  username: string;
  display_name: string | null;
  role: Role;
  contact_id: number | null;
  wecom_userid: string | null;
  password_hash: string;
  active: DbBool;
  created_at: number;
  updated_at: number;
}

function fromRow(r: UserRow): User {
  return {
    id: Number(r.id),
    username: r.username,
    displayName: r.display_name ?? null,
    role: r.role,
    contactId: r.contact_id === null || r.contact_id === undefined ? null : Number(r.contact_id),
    wecomUserid: r.wecom_userid ?? null,
    active: toBool(r.active),
    createdAt: new Date(Number(r.created_at)),
    updatedAt: new Date(Number(r.updated_at)),
  };
}

export interface NewUser {
  username: string;
  displayName?: string | null;
  role: Role;
  contactId?: number | null;
  password: string;
}

export interface UserPatch {
  displayName?: string | null;
  role?: Role;
  contactId?: number | null;
  active?: boolean;
  password?: string;
}

function checkPassword(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH) throw new UserError(`密码至少 ${MIN_PASSWORD_LENGTH} 个字符`);
  if (passwordTooLong(password)) throw new UserError(PASSWORD_TOO_LONG);
}

export class UserStore {
  constructor(
    private readonly db: Knex,
    private readonly events: EventLog,
  ) {}

  async count(): Promise<number> {
    const [row] = await this.db<UserRow>('users').count({ n: '*' });
    return Number((row as { n: number | string }).n);
  }

  async list(): Promise<User[]> {
    return (await this.db<UserRow>('users').orderBy('id')).map(fromRow);
  }

  async get(id: number): Promise<User | null> {
    const row = await this.db<UserRow>('users').where({ id }).first();
    return row ? fromRow(row) : null;
  }

  async getByUsername(username: string): Promise<User | null> {
    const row = await this.db<UserRow>('users').where({ username: username.trim() }).first();
    return row ? fromRow(row) : null;
  }

  /** The user if the password is right and the account active, else null (same answer for both). */
  async authenticate(username: string, password: string): Promise<User | null> {
    const row = await this.db<UserRow>('users').where({ username: username.trim() }).first();
    // Compare against a dummy hash when the user does not exist, so timing does not tell.
    // A WeCom account has no password: the dummy hash is checked (same timing), and it fails.
    const hash = row && row.password_hash !== NO_PASSWORD ? row.password_hash : await dummyHash();
    const ok = await verifyPassword(password, hash);
    if (!row || !ok || row.password_hash === NO_PASSWORD || !toBool(row.active)) return null;
    return fromRow(row);
  }

  async create(input: NewUser, actor: string, at: Date): Promise<User> {
    const username = input.username.trim();
    if (!USERNAME.test(username)) throw new UserError('用户名须为 2–64 个字母、数字或 _ . @ -');
    if (!isRole(input.role)) throw new UserError(`角色无效：${String(input.role)}，可选：${ROLES.join(', ')}`);
    checkPassword(input.password);
    if (input.contactId != null) await this.checkContact(input.contactId);
    const hash = await hashPassword(input.password);
    return this.db.transaction(async (trx) => {
      const exists = await trx<UserRow>('users').where({ username }).first();
      if (exists) throw new UserError(`用户名已存在：${username}`, 409);
      const [row] = await trx<UserRow>('users')
        .insert({
          username,
          display_name: input.displayName?.trim() || null,
          role: input.role,
          contact_id: input.contactId ?? null,
          password_hash: hash,
          active: true,
          created_at: at.getTime(),
          updated_at: at.getTime(),
        })
        .returning('*');
      const user = fromRow(row);
      await this.events.append(
        { type: 'user.created', actor, at, data: { user_id: user.id, username, role: user.role, contact_id: user.contactId } },
        trx,
      );
      return user;
    });
  }

  async update(id: number, patch: UserPatch, actor: string, at: Date): Promise<User> {
    if (patch.role !== undefined && !isRole(patch.role)) throw new UserError(`角色无效：${String(patch.role)}`);
    if (patch.password !== undefined) checkPassword(patch.password);
    if (patch.contactId != null) await this.checkContact(patch.contactId);
    const hash = patch.password !== undefined ? await hashPassword(patch.password) : undefined;
    return this.db.transaction(async (trx) => {
      const before = await trx<UserRow>('users').where({ id }).first();
      if (!before) throw new UserError(`用户不存在：${id}`, 404);
      if (before.wecom_userid && (hash !== undefined || patch.role !== undefined || patch.contactId !== undefined)) {
        throw new UserError('该账号从企业微信登录：不设密码，角色和联系人随通讯录中的联系人记录，只能改显示名或停用');
      }
      const row: Record<string, unknown> = { updated_at: at.getTime() };
      if (patch.displayName !== undefined) row.display_name = patch.displayName?.trim() || null;
      if (patch.role !== undefined) row.role = patch.role;
      if (patch.contactId !== undefined) row.contact_id = patch.contactId;
      if (patch.active !== undefined) row.active = patch.active;
      if (hash !== undefined) row.password_hash = hash;
      await trx<UserRow>('users').where({ id }).update(row);
      // A disabled account or a new password ends the sessions it had.
      if (patch.active === false || hash !== undefined) await trx('sessions').where({ user_id: id }).del();
      const changed = Object.keys(patch).filter((k) => (patch as Record<string, unknown>)[k] !== undefined);
      await this.events.append(
        {
          type: 'user.updated',
          actor,
          at,
          data: {
            user_id: id,
            username: before.username,
            changed,
            ...(patch.role !== undefined ? { role: patch.role } : {}),
            ...(patch.active !== undefined ? { active: patch.active } : {}),
            ...(patch.contactId !== undefined ? { contact_id: patch.contactId } : {}),
          },
        },
        trx,
      );
      return fromRow((await trx<UserRow>('users').where({ id }).first())!);
    });
  }

  async getByWecomUserid(userid: string): Promise<User | null> {
    const row = await this.db<UserRow>('users').where({ wecom_userid: userid }).first();
    return row ? fromRow(row) : null;
  }

  /**
   * The console account of a WeCom user signing in from WeCom: made at the first sign-in
   * (no password), its name, role and contact refreshed at each one. Its username is
   * `wecom:<userid>`, which no password account can have (':' is not allowed there).
   */
  async upsertWecomAccount(input: { userid: string; displayName: string | null; role: Role; contactId: number | null }, at: Date): Promise<User> {
    const values = { display_name: input.displayName?.slice(0, 100) ?? null, role: input.role, contact_id: input.contactId, updated_at: at.getTime() };
    return this.db.transaction(async (trx) => {
      const before = await trx<UserRow>('users').where({ wecom_userid: input.userid }).first();
      if (before) {
        await trx<UserRow>('users').where({ id: before.id }).update(values);
        return fromRow((await trx<UserRow>('users').where({ id: before.id }).first())!);
      }
      const [row] = await trx<UserRow>('users')
        .insert({ ...values, username: `wecom:${input.userid}`, wecom_userid: input.userid, password_hash: NO_PASSWORD, active: true, created_at: at.getTime() })
        .returning('*');
      const user = fromRow(row);
      await this.events.append(
        { type: 'user.created', actor: `wecom:${input.userid}`, at, data: { user_id: user.id, username: user.username, role: user.role, contact_id: user.contactId, via: 'wecom' } },
        trx,
      );
      return user;
    });
  }

  private async checkContact(contactId: number): Promise<void> {
    const c = await table(this.db, 'contacts').where({ id: contactId }).first();
    if (!c) throw new UserError(`联系人不存在：${contactId}`);
  }
}
