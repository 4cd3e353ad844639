/** Minimal rows for store tests that need a work order (the importer creates real ones). */
import type { Db } from '../../src/db/knex';

export async function insertWorkOrder(
  db: Db,
  opts: { code?: string; state?: string; dueAt?: Date | null; at?: Date } = {},
): Promise<number> {
  const now = (opts.at ?? new Date('2025-11-17T02:00:00Z')).getTime();
  const [unit] = await db('units')
    .insert({ name: '测试单位', normalized_name: `测试单位-${Math.random()}`, created_at: now, updated_at: now })
    .returning('id');
  const unitId = typeof unit === 'object' ? unit.id : unit;
  const [notice] = await db('notices')
    .insert({ doc_no: `测试〔2025〕${Math.floor(Math.random() * 1e6)}号`, issued_on: '2025-11-17', created_at: now })
    .returning('id');
  const noticeId = typeof notice === 'object' ? notice.id : notice;
  const [target] = await db('targets')
    .insert({
      kind: 'newmedia',
      name: '测试公众号',
      normalized_name: '测试公众号',
      platform: '微信公众号',
      platform_family: 'wechat',
      unit_id: unitId,
      identity: `newmedia|wechat|测试公众号|${Math.random()}`,
      created_at: now,
    })
    .returning('id');
  const targetId = typeof target === 'object' ? target.id : target;
  const [wo] = await db('work_orders')
    .insert({
      code: opts.code ?? `2025-${Math.floor(Math.random() * 1e6)}`,
      notice_id: noticeId,
      target_id: targetId,
      unit_id: unitId,
      state: opts.state ?? 'new',
      due_at: opts.dueAt ? opts.dueAt.getTime() : null,
      created_at: now,
      updated_at: now,
    })
    .returning('id');
  return Number(typeof wo === 'object' ? wo.id : wo);
}
