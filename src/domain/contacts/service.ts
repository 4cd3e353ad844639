/**
 * Contacts: importing the contacts table (units created as needed, supervisions linked), and
 * the questions the conversation asks: who is this userid, who are a unit's primary contacts,
 * who supervises a unit (supervisor contacts linked by unit, by jurisdiction, or as members of
 * the unit's supervising unit; the admins when there are none), which units a supervisor sees.
 */
import path from 'node:path';
import type { Knex } from 'knex';
import type { Clock } from '../../clock';
import { toBool } from '../../db/knex';
import { table, type ContactRow as ContactTableRow } from '../../db/tables';
import type { EventLog, NewEvent } from '../events/events';
import { cleanText, normalizeName } from '../import/identity';
import { parseIsolated } from '../../parsing/isolated';
import { SUPERVISOR_NEEDS_SCOPE, type ContactRejection, type ContactRole, type ContactRow } from './parse';

export interface Contact {
  id: number;
  userid: string;
  name: string | null;
  role: ContactRole;
  phone: string | null;
  unitId: number | null;
  unitName: string | null;
  reachable: boolean;
  active: boolean;
}

export interface ContactsImportResult {
  rows: number;
  contacts: number;
  contacts_new: number;
  units_new: number;
  supervisions_new: number;
  rejected: ContactRejection[];
}

export class ContactsRejectedError extends Error {
  constructor(readonly result: ContactsImportResult) {
    super(`联系人表被拒绝：${result.rejected.length} 处错误，未写入任何数据`);
    this.name = 'ContactsRejectedError';
  }
}

/** A contact with its unit's name (`c.*, u.name as unit_name` over a left join). */
type ContactWithUnitRow = ContactTableRow & { unit_name: string | null };

function contactFromRow(r: ContactWithUnitRow): Contact {
  return {
    id: Number(r.id),
    userid: r.wecom_userid,
    name: r.name ?? null,
    role: r.role as ContactRole,
    phone: r.phone ?? null,
    unitId: r.unit_id === null || r.unit_id === undefined ? null : Number(r.unit_id),
    unitName: r.unit_name ?? null,
    reachable: toBool(r.reachable),
    active: toBool(r.active),
  };
}

/**
 * The console role of a WeCom user signing in from WeCom, by their active contact records:
 * 'supervisor' with a supervisor or admin row (reviews, within the scope above), 'contact' with
 * unit rows only (its own units' orders), null without any (no sign-in).
 */
export function consoleRoleOf(contacts: Pick<Contact, 'role' | 'active'>[]): 'supervisor' | 'contact' | null {
  const live = contacts.filter((c) => c.active);
  if (live.some((c) => c.role === 'supervisor' || c.role === 'admin')) return 'supervisor';
  if (live.some((c) => roleClass(c.role) === 'unit')) return 'contact';
  return null;
}

/** Unit-bound roles share one row per (userid, unit); supervisor and admin rows are their own. */
const roleClass = (r: ContactRole) => (r === 'supervisor' || r === 'admin' ? r : 'unit');

export class ContactsService {
  constructor(
    private readonly db: Knex,
    private readonly events: EventLog,
    private readonly clock: Clock,
  ) {}

  private contacts(db: Knex | Knex.Transaction = this.db) {
    return db('contacts as c')
      .leftJoin('units as u', 'u.id', 'c.unit_id')
      .select<ContactWithUnitRow[]>('c.*', 'u.name as unit_name');
  }

  async importFile(file: string, options: { actor?: string; sheet?: string; dryRun?: boolean } = {}): Promise<ContactsImportResult> {
    // In a worker with heap and time limits, like notice tables (see parsing/isolated.ts).
    const parsed = await parseIsolated('contactsTable', { file, fileName: path.basename(file), options: { sheet: options.sheet } });
    const result: ContactsImportResult = {
      rows: parsed.count,
      contacts: 0,
      contacts_new: 0,
      units_new: 0,
      supervisions_new: 0,
      rejected: parsed.rejected,
    };
    result.rejected = [...parsed.rejected, ...(await this.unanchoredSupervisors(parsed.rows))];
    if (result.rejected.length) throw new ContactsRejectedError(result);
    const actor = options.actor ?? 'cli';
    const at = this.clock.now();
    const t = at.getTime();
    const rollback = new Error('dry run');
    try {
      await this.db.transaction(async (trx) => {
        const events: NewEvent[] = [];
        const unitIds = new Map<string, number>();
        const unitId = async (name: string, jurisdiction: string | null): Promise<number> => {
          const n = normalizeName(name);
          let id = unitIds.get(n);
          const row = id === undefined ? await table(trx, 'units').where({ normalized_name: n }).first('id', 'jurisdiction') : null;
          if (id === undefined && row) id = Number(row.id);
          if (id === undefined) {
            const [ins] = await table(trx, 'units')
              .insert({ name: cleanText(name), normalized_name: n, jurisdiction, created_at: t, updated_at: t })
              .returning('id');
            id = Number(typeof ins === 'object' ? ins.id : ins);
            result.units_new++;
            events.push({ type: 'unit.created', actor, at, unitId: id, data: { name: cleanText(name), source: 'contacts' } });
          }
          unitIds.set(n, id);
          // The contacts table is the authority on a unit's jurisdiction.
          if (jurisdiction) await table(trx, 'units').where({ id }).update({ jurisdiction, updated_at: t });
          return id;
        };
        // Units named in the file (and what they are), so a scope entry can tell a unit from a jurisdiction.
        const namedUnits = new Set<string>();
        for (const r of parsed.rows) if (r.unit && r.role !== 'supervisor') namedUnits.add(normalizeName(r.unit));
        const jurisdictions = new Set<string>(
          (await table(trx, 'units').whereNotNull('jurisdiction').distinct('jurisdiction')).map((x) => x.jurisdiction as string), // not null: whereNotNull
        );
        for (const r of parsed.rows) if (r.jurisdiction && r.role !== 'supervisor') jurisdictions.add(r.jurisdiction);

        for (const r of parsed.rows) {
          const uid = r.unit ? await unitId(r.unit, r.role === 'supervisor' ? null : r.jurisdiction) : null;
          if (uid !== null && r.supervising) {
            const sup = await unitId(r.supervising, null);
            await table(trx, 'units').where({ id: uid }).update({ supervising_unit_id: sup, updated_at: t });
          }
          const contactId = await this.upsertContact(trx, r, uid, t, result, events, actor, at);
          if (r.role === 'supervisor') {
            const entries = [...r.scope.map((s) => ({ s, j: false })), ...(r.jurisdiction ? [{ s: r.jurisdiction, j: true }] : [])];
            for (const { s, j } of entries) {
              const n = normalizeName(s);
              const isUnit =
                !j && !jurisdictions.has(s) && (namedUnits.has(n) || Boolean(await table(trx, 'units').where({ normalized_name: n }).first('id')));
              const link = isUnit ? { unit_id: await unitId(s, null), jurisdiction: null } : { unit_id: null, jurisdiction: s.slice(0, 100) };
              const q = table(trx, 'supervisions').where({ contact_id: contactId });
              if (link.unit_id !== null) q.where({ unit_id: link.unit_id });
              else q.whereNull('unit_id').where({ jurisdiction: link.jurisdiction });
              if (!(await q.first('id'))) {
                await table(trx, 'supervisions').insert({ contact_id: contactId, ...link, created_at: t });
                result.supervisions_new++;
              }
            }
          }
        }
        events.push({ type: 'contacts.imported', actor, at, data: { file: file.split(/[\\/]/).pop(), ...result, rejected: undefined } });
        await this.events.appendMany(events, trx);
        if (options.dryRun) throw rollback;
      });
    } catch (e) {
      if (e !== rollback) throw e;
    }
    return result;
  }

  /**
   * Supervisor rows that give only their own unit supervise the units whose 主管单位 that unit is
   * (named in this file or by an earlier import); a row whose unit is nobody's 主管单位 supervises nothing.
   */
  private async unanchoredSupervisors(rows: ContactRow[]): Promise<ContactRejection[]> {
    const bare = rows.filter((r) => r.role === 'supervisor' && r.scope.length === 0 && !r.jurisdiction && r.unit);
    if (!bare.length) return [];
    const supervising = new Set(rows.filter((r) => r.supervising).map((r) => normalizeName(r.supervising!)));
    const stored = await this.db('units as u')
      .whereIn('u.id', this.db('units').whereNotNull('supervising_unit_id').select('supervising_unit_id'))
      .select<{ normalized_name: string }[]>('u.normalized_name');
    for (const u of stored) supervising.add(u.normalized_name);
    return bare
      .filter((r) => !supervising.has(normalizeName(r.unit!)))
      .map((r) => ({ line: r.line, ...(r.sheet ? { sheet: r.sheet } : {}), reason: SUPERVISOR_NEEDS_SCOPE }));
  }

  private async upsertContact(
    trx: Knex.Transaction,
    r: ContactRow,
    unitId: number | null,
    t: number,
    result: ContactsImportResult,
    events: NewEvent[],
    actor: string,
    at: Date,
  ): Promise<number> {
    const cls = roleClass(r.role);
    const q = table(trx, 'contacts').where({ wecom_userid: r.userid });
    if (unitId === null) q.whereNull('unit_id');
    else q.where({ unit_id: unitId });
    if (cls === 'unit') q.whereIn('role', ['primary', 'backup', 'leader']);
    else q.where({ role: r.role });
    const existing = await q.first();
    const values = {
      name: r.name,
      role: r.role,
      phone: r.phone,
      active: true,
      reachable: true,
      unreachable_reason: null,
      updated_at: t,
    };
    result.contacts++;
    if (existing) {
      await table(trx, 'contacts').where({ id: existing.id }).update(values);
      events.push({
        type: 'contact.updated',
        actor,
        at,
        contactId: Number(existing.id),
        unitId,
        data: { userid: r.userid, role: r.role, from: { role: existing.role, reachable: toBool(existing.reachable) } },
      });
      return Number(existing.id);
    }
    const [ins] = await table(trx, 'contacts')
      .insert({ ...values, wecom_userid: r.userid, unit_id: unitId, created_at: t })
      .returning('id');
    const id = Number(typeof ins === 'object' ? ins.id : ins);
    result.contacts_new++;
    events.push({ type: 'contact.created', actor, at, contactId: id, unitId, data: { userid: r.userid, role: r.role, name: r.name } });
    return id;
  }

  async list(filter: { unitId?: number; role?: ContactRole; includeInactive?: boolean } = {}): Promise<Contact[]> {
    const q = this.contacts().orderBy('c.id');
    if (!filter.includeInactive) q.where('c.active', true);
    if (filter.unitId !== undefined) q.where('c.unit_id', filter.unitId);
    if (filter.role) q.where('c.role', filter.role);
    return (await q).map(contactFromRow);
  }

  async get(id: number): Promise<Contact | null> {
    const r = await this.contacts().where('c.id', id).first();
    return r ? contactFromRow(r) : null;
  }

  /** Active contacts with this userid (one person may serve several units and roles). */
  async byUserid(userid: string): Promise<Contact[]> {
    return (await this.contacts().where({ 'c.wecom_userid': userid, 'c.active': true }).orderBy('c.id')).map(contactFromRow);
  }

  /** Active, reachable primary contacts of a unit. */
  async primaries(unitId: number): Promise<Contact[]> {
    return (await this.contacts().where({ 'c.unit_id': unitId, 'c.role': 'primary', 'c.active': true, 'c.reachable': true }).orderBy('c.id')).map(
      contactFromRow,
    );
  }

  /** Active, reachable admins. */
  async admins(): Promise<Contact[]> {
    return (await this.contacts().where({ 'c.role': 'admin', 'c.active': true, 'c.reachable': true }).orderBy('c.id')).map(contactFromRow);
  }

  /** Active, reachable supervisors of a unit (by unit, by jurisdiction, or in its supervising unit). */
  async supervisorsOf(unitId: number): Promise<Contact[]> {
    const unit = await table(this.db, 'units').where({ id: unitId }).first('jurisdiction', 'supervising_unit_id');
    if (!unit) return [];
    const q = this.contacts()
      .where({ 'c.role': 'supervisor', 'c.active': true, 'c.reachable': true })
      .andWhere((w) => {
        w.whereExists((s) =>
          void s
            .from('supervisions as s')
            .whereRaw('s.contact_id = c.id')
            .andWhere((x) => {
              x.where('s.unit_id', unitId);
              if (unit.jurisdiction) x.orWhere('s.jurisdiction', unit.jurisdiction);
            }),
        );
        if (unit.supervising_unit_id) w.orWhere('c.unit_id', unit.supervising_unit_id);
      })
      .orderBy('c.id');
    return (await q).map(contactFromRow);
  }

  /** Who reviews a unit's orders: its supervisors, or the admins when it has none. */
  async reviewersOf(unitId: number | null): Promise<Contact[]> {
    const sup = unitId === null ? [] : await this.supervisorsOf(unitId);
    return sup.length ? sup : this.admins();
  }

  /** Whether these contacts (one userid's) may review the unit's orders. */
  async canReview(contacts: Contact[], unitId: number | null): Promise<boolean> {
    if (contacts.some((c) => c.role === 'admin')) return true;
    const sup = contacts.filter((c) => c.role === 'supervisor');
    if (!sup.length || unitId === null) return false;
    const ids = (await this.supervisedUnitIds(sup));
    return ids.includes(unitId);
  }

  /** Units a set of supervisor contacts supervises (chat, digests and the console all ask here). */
  async supervisedUnitIds(contacts: Contact[]): Promise<number[]> {
    return this.unitsSupervisedBy(contacts.filter((c) => c.role === 'supervisor'));
  }

  /** Units a console supervisor sees: those its linked contact supervises. */
  async unitsSupervisedByContact(contactId: number): Promise<number[]> {
    const contact = await this.get(contactId);
    return contact ? this.unitsSupervisedBy([contact]) : [];
  }

  /**
   * The units one WeCom user (all their active contact rows) may see: the units they serve as
   * a unit contact and those they supervise; null (every unit) for an admin contact. The one
   * scope rule of the console (signed in from WeCom, or a password account linked to a
   * contact), built on the same supervision rule as chat's reviews and the digests.
   */
  async visibleUnitIds(contacts: Contact[]): Promise<number[] | null> {
    if (contacts.some((c) => c.role === 'admin')) return null;
    const own = contacts.filter((c) => roleClass(c.role) === 'unit' && c.unitId !== null).map((c) => c.unitId!);
    const supervised = await this.supervisedUnitIds(contacts);
    return [...new Set([...own, ...supervised])].sort((a, b) => a - b);
  }

  /** Units these contacts supervise: linked by unit, by jurisdiction, or whose 主管单位 they work in. */
  private async unitsSupervisedBy(sup: Pick<Contact, 'id' | 'unitId'>[]): Promise<number[]> {
    if (!sup.length) return [];
    const ids = sup.map((c) => c.id);
    const links = await table(this.db, 'supervisions').whereIn('contact_id', ids).select('unit_id', 'jurisdiction');
    const unitIds = links.filter((l) => l.unit_id !== null).map((l) => Number(l.unit_id));
    const jurisdictions = links.filter((l) => l.jurisdiction).map((l) => l.jurisdiction as string);
    const own = sup.map((c) => c.unitId).filter((x): x is number => x !== null);
    const q = table(this.db, 'units').select('id').where((w) => {
      w.whereIn('id', unitIds.length ? unitIds : [-1]);
      if (jurisdictions.length) w.orWhereIn('jurisdiction', jurisdictions);
      if (own.length) w.orWhereIn('supervising_unit_id', own);
    }).orderBy('id');
    return (await q).map((r) => Number(r.id));
  }
}
