/** What the transport needs to know about contacts: reachability and who the admins are. */
import type { Knex } from 'knex';

export interface ContactRef {
  id: number;
  userid: string;
  name: string | null;
  role: string;
  unitId: number | null;
  reachable: boolean;
}

export interface ContactDirectory {
  byUserid(userid: string): Promise<ContactRef[]>;
  /** Marks every active contact with this userid unreachable; returns the ones that changed. */
  markUnreachable(userid: string, reason: string, at: Date): Promise<ContactRef[]>;
  /** Active, reachable admins. */
  admins(): Promise<ContactRef[]>;
}

function fromRow(r: any): ContactRef {
  return {
    id: Number(r.id),
    userid: r.wecom_userid,
    name: r.name ?? null,
    role: r.role,
    unitId: r.unit_id === null || r.unit_id === undefined ? null : Number(r.unit_id),
    reachable: r.reachable === true || r.reachable === 1 || r.reachable === '1',
  };
}

export class KnexContactDirectory implements ContactDirectory {
  constructor(private readonly db: Knex) {}

  async byUserid(userid: string): Promise<ContactRef[]> {
    const rows = await this.db('contacts').where({ wecom_userid: userid, active: true }).orderBy('id');
    return rows.map(fromRow);
  }

  async markUnreachable(userid: string, reason: string, at: Date): Promise<ContactRef[]> {
    const rows = await this.db('contacts').where({ wecom_userid: userid, active: true, reachable: true });
    if (rows.length === 0) return [];
    await this.db('contacts')
      .whereIn(
        'id',
        rows.map((r: any) => r.id),
      )
      .update({ reachable: false, unreachable_reason: reason.slice(0, 200), updated_at: at.getTime() });
    return rows.map(fromRow);
  }

  async admins(): Promise<ContactRef[]> {
    const rows = await this.db('contacts').where({ role: 'admin', active: true, reachable: true }).orderBy('id');
    return rows.map(fromRow);
  }
}
