/**
 * Who is calling the API: a signed-in console user (session cookie + CSRF header for changes)
 * or a script with the ADMIN_TOKEN bearer token (acts as an admin, no CSRF: it has no cookie).
 * A supervisor only sees the units its contact supervises (by unit, by jurisdiction, or as a
 * member of the units' supervising unit).
 */
import crypto from 'node:crypto';
import type { Knex } from 'knex';
import type { ContactsService } from '../../domain/contacts/service';
import type { Role, User } from './users';

export type Principal =
  | {
      kind: 'user';
      user: User;
      role: Role;
      actor: string;
      csrfToken: string;
      /** How this session was made: a password, or sign-in from WeCom (网页授权 / QR). */
      via: 'password' | 'wecom';
    }
  | { kind: 'token'; role: 'admin'; actor: 'token' };

/** Units a principal may see: null means all of them. */
export type UnitScope = { all: true } | { all: false; unitIds: number[] };

export function actorOf(p: Principal): string {
  return p.actor;
}

export function tokenMatches(given: string, expected: string | undefined): boolean {
  if (!expected) return false;
  const a = crypto.createHash('sha256').update(given).digest();
  const b = crypto.createHash('sha256').update(expected).digest();
  return crypto.timingSafeEqual(a, b);
}

/** Where the scope comes from: the contacts service (the same rule chat and digests use). */
export type ScopeSource = Pick<ContactsService, 'get' | 'byUserid' | 'visibleUnitIds'>;

/**
 * The units a principal sees. Admins, viewers and ADMIN_TOKEN: all. A supervisor or a unit
 * contact: what their WeCom user (every active contact row of the userid they signed in with
 * from WeCom, or of the contact their password account is linked to) may see, by the one rule
 * of ContactsService.visibleUnitIds; nothing without a contact.
 */
export async function scopeFor(contacts: ScopeSource, p: Principal): Promise<UnitScope> {
  if (p.kind !== 'user' || (p.role !== 'supervisor' && p.role !== 'contact')) return { all: true };
  let userid = p.user.wecomUserid;
  if (!userid && p.user.contactId !== null) userid = (await contacts.get(p.user.contactId))?.userid ?? null;
  if (!userid) return { all: false, unitIds: [] };
  const ids = await contacts.visibleUnitIds(await contacts.byUserid(userid));
  // A contact only ever sees units (an admin contact signing in from WeCom is a supervisor).
  if (ids === null) return p.role === 'contact' ? { all: false, unitIds: [] } : { all: true };
  return { all: false, unitIds: ids };
}

/** Restricts a query on a table with a unit_id column to the scope. */
export function applyScope<Q extends Knex.QueryBuilder>(q: Q, scope: UnitScope, column = 'unit_id'): Q {
  if (!scope.all) q.whereIn(column, scope.unitIds.length ? scope.unitIds : [-1]);
  return q;
}

export function inScope(scope: UnitScope, unitId: number | null): boolean {
  return scope.all || (unitId !== null && scope.unitIds.includes(unitId));
}
