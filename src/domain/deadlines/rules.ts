/** Admin-set deadline rules: validation and storage. Rules are deactivated, never deleted. */
import { table, type DeadlineRuleRow } from '../../db/tables';
import type { Knex } from 'knex';
import { toBool } from '../../db/knex';
import type { EventLog } from '../events/events';
import { CATEGORY_IDS, isCategory, isTargetKind, TARGET_KINDS } from '../problems/taxonomy';
import type { DeadlineRule, DeadlineUnit } from './deadline';

export interface RuleInput {
  source?: string | null;
  targetKind?: string | null;
  category?: string | null;
  amount: number;
  unit: DeadlineUnit;
  cutoff?: string | null;
  note?: string | null;
}

export class RuleValidationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RuleValidationError';
  }
}

const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$/;

export function validateRule(input: RuleInput): RuleInput {
  const out: RuleInput = {
    source: input.source?.trim() || null,
    targetKind: input.targetKind?.trim() || null,
    category: input.category?.trim() || null,
    amount: input.amount,
    unit: input.unit,
    cutoff: input.cutoff?.trim() || null,
    note: input.note?.trim() || null,
  };
  if (!Number.isInteger(out.amount) || out.amount < 1 || out.amount > 365) {
    throw new RuleValidationError(`期限天数须为 1–365 的整数，收到：${input.amount}`);
  }
  if (out.unit !== 'working_days' && out.unit !== 'calendar_days') {
    throw new RuleValidationError(`期限单位须为 working_days（工作日）或 calendar_days（自然日），收到：${input.unit}`);
  }
  if (out.targetKind && !isTargetKind(out.targetKind)) {
    throw new RuleValidationError(
      `对象类型无效：${out.targetKind}，可选：${Object.keys(TARGET_KINDS).join(', ')}`,
    );
  }
  if (out.category && !isCategory(out.category)) {
    throw new RuleValidationError(`问题类别无效：${out.category}，可选：${CATEGORY_IDS.join(', ')}`);
  }
  if (out.cutoff && !HHMM.test(out.cutoff)) {
    throw new RuleValidationError(`截止时刻须为 HH:MM 格式，收到：${out.cutoff}`);
  }
  return out;
}

export interface DeadlineRuleStore {
  list(options?: { includeInactive?: boolean }): Promise<DeadlineRule[]>;
  get(id: number): Promise<DeadlineRule | null>;
  create(input: RuleInput, actor: string, at: Date): Promise<DeadlineRule>;
  update(id: number, input: RuleInput, actor: string, at: Date): Promise<DeadlineRule>;
  deactivate(id: number, actor: string, at: Date): Promise<void>;
}

/** The stored columns of a validated rule. */
function columns(v: RuleInput) {
  return {
    source: v.source,
    target_kind: v.targetKind,
    category: v.category,
    amount: v.amount,
    unit: v.unit,
    cutoff: v.cutoff,
    note: v.note,
  };
}

function fromRow(r: DeadlineRuleRow): DeadlineRule {
  return {
    id: Number(r.id),
    source: r.source,
    targetKind: r.target_kind,
    category: r.category,
    amount: Number(r.amount),
    unit: r.unit as DeadlineUnit,
    cutoff: r.cutoff,
    active: toBool(r.active),
    note: r.note,
  };
}

export class KnexDeadlineRuleStore implements DeadlineRuleStore {
  constructor(
    private readonly db: Knex,
    private readonly events: EventLog,
  ) {}

  async list(options: { includeInactive?: boolean } = {}): Promise<DeadlineRule[]> {
    const q = table(this.db, 'deadline_rules').orderBy('id');
    if (!options.includeInactive) q.where('active', true);
    return (await q).map(fromRow);
  }

  async get(id: number): Promise<DeadlineRule | null> {
    const row = await table(this.db, 'deadline_rules').where({ id }).first();
    return row ? fromRow(row) : null;
  }

  async create(input: RuleInput, actor: string, at: Date): Promise<DeadlineRule> {
    const v = validateRule(input);
    return this.db.transaction(async (trx) => {
      const [row] = await table(trx, 'deadline_rules')
        .insert({
          ...columns(v),
          active: true,
          created_at: at.getTime(),
          updated_at: at.getTime(),
        })
        .returning('*');
      const rule = fromRow(row);
      await this.events.append({ type: 'deadline_rule.created', actor, at, data: { rule } }, trx);
      return rule;
    });
  }

  async update(id: number, input: RuleInput, actor: string, at: Date): Promise<DeadlineRule> {
    const v = validateRule(input);
    return this.db.transaction(async (trx) => {
      const before = await table(trx, 'deadline_rules').where({ id }).first();
      if (!before) throw new RuleValidationError(`期限规则不存在：${id}`);
      const [row] = await table(trx, 'deadline_rules')
        .where({ id })
        .update({ ...columns(v), updated_at: at.getTime() })
        .returning('*');
      const rule = fromRow(row);
      await this.events.append({ type: 'deadline_rule.updated', actor, at, data: { before: fromRow(before), rule } }, trx);
      return rule;
    });
  }

  async deactivate(id: number, actor: string, at: Date): Promise<void> {
    await this.db.transaction(async (trx) => {
      const n = await table(trx, 'deadline_rules').where({ id }).update({ active: false, updated_at: at.getTime() });
      if (n === 0) throw new RuleValidationError(`期限规则不存在：${id}`);
      await this.events.append({ type: 'deadline_rule.deactivated', actor, at, data: { id } }, trx);
    });
  }
}
