/**
 * Who is calling the API: a signed-in console user (session cookie + CSRF header for changes)
 * or a script with the ADMIN_TOKEN bearer token (acts as an admin, no CSRF: it has no cookie).
 * A supervisor only sees the units its contact supervises (by unit, by jurisdiction, or as a
 * member of the units' supervising unit).
 */
import crypto from 'node:crypto';
import type { Knex } from 'knex';
import type { Role, User } from './users';

export type Principal =
  | { kind: 'user'; user: User; role: Role; actor: string; csrfToken: string }
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

/** Where the supervisor scope comes from: the contacts service (the same rule chat and digests use). */
export interface SupervisorScopeSource {
  unitsSupervisedByContact(contactId: number): Promise<number[]>;
}

export async function scopeFor(contacts: SupervisorScopeSource, p: Principal): Promise<UnitScope> {
  if (p.role !== 'supervisor' || p.kind !== 'user') return { all: true };
  const contactId = p.user.contactId;
  if (contactId === null) return { all: false, unitIds: [] };
  return { all: false, unitIds: await contacts.unitsSupervisedByContact(contactId) };
}

/** Restricts a query on a table with a unit_id column to the scope. */
export function applyScope<Q extends Knex.QueryBuilder>(q: Q, scope: UnitScope, column = 'unit_id'): Q {
  if (!scope.all) q.whereIn(column, scope.unitIds.length ? scope.unitIds : [-1]);
  return q;
}

export function inScope(scope: UnitScope, unitId: number | null): boolean {
  return scope.all || (unitId !== null && scope.unitIds.includes(unitId));
}
