/**
 * What a new order gets now under the active rules, for every target type and problem category:
 * the table admins read beside the rules (console, `rules list`). Rules can name a target type,
 * so each row is decided for its own target type, exactly as an import would.
 */
import type { WorkCalendar } from '../calendar/calendar';
import { formatDueZh } from '../messages/due';
import { CATEGORIES, TARGET_KINDS, type Category, type TargetKind } from '../problems/taxonomy';
import { decideDeadline, type DeadlineRule, type DeadlineSettings } from './deadline';

export interface EffectiveRow {
  target_kind: TargetKind;
  target_kind_label: string;
  category: Category;
  category_label: string;
  basis: 'rule' | 'default';
  /** 规则 #3 / 默认 5 个工作日 */
  basis_label: string;
  rule_id: number | null;
  due: string;
  due_label: string;
  provisional: boolean;
}

export function effectiveDeadlines(rules: DeadlineRule[], calendar: WorkCalendar, settings: DeadlineSettings, now: Date, source: string | null = null): EffectiveRow[] {
  const rows: EffectiveRow[] = [];
  for (const kind of Object.keys(TARGET_KINDS) as TargetKind[]) {
    for (const category of Object.keys(CATEGORIES) as Category[]) {
      const d = decideDeadline({ notifiedAt: now, source, targetKind: kind, categories: [category] }, rules, calendar, settings);
      const rule = d.ruleId === null ? null : rules.find((r) => r.id === d.ruleId) ?? null;
      rows.push({
        target_kind: kind,
        target_kind_label: TARGET_KINDS[kind],
        category,
        category_label: CATEGORIES[category],
        basis: d.basis === 'rule' ? 'rule' : 'default',
        basis_label: rule
          ? `规则 #${rule.id}（${rule.amount} 个${rule.unit === 'working_days' ? '工作日' : '自然日'}）`
          : `默认 ${settings.defaultWorkingDays} 个工作日`,
        rule_id: d.ruleId,
        due: d.due.toISOString(),
        due_label: formatDueZh(d.due, d.provisional, settings.zone),
        provisional: d.provisional,
      });
    }
  }
  return rows;
}
