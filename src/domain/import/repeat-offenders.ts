/**
 * Repeat offenders of one notice, as a pure function of the counts the store gives: a target or
 * unit named in at least `threshold` active notices of the year (this one included) gets an
 * escalation keyed by target/unit and year, so re-running or replacing a notice never duplicates it.
 */
import type { TargetKind } from '../problems/taxonomy';
import type { EscalationInput } from './store';

export const PROPOSED_ACTIONS = {
  newmedia: '责令关停',
  website: '约谈',
  column: '约谈',
  unit: '约谈分管领导',
} as const;

export interface RepeatCandidate {
  targetId: number;
  unitId: number;
  kind: TargetKind;
}

export interface RepeatOffenders {
  escalations: EscalationInput[];
  /** Targets named in an earlier notice of the same year too (whatever the threshold). */
  namedBefore: number;
}

export function repeatOffenders(input: {
  orders: RepeatCandidate[];
  /** Active notices of the year naming each target / unit (this one included; absent: 1). */
  targetCounts: ReadonlyMap<number, number>;
  unitCounts: ReadonlyMap<number, number>;
  threshold: number;
  year: number;
  noticeId: number;
}): RepeatOffenders {
  const { orders, threshold, year, noticeId } = input;
  const escalations: EscalationInput[] = [];
  let namedBefore = 0;
  for (const wo of orders) {
    const count = input.targetCounts.get(wo.targetId) ?? 1;
    if (count > 1) namedBefore++;
    if (count < threshold) continue;
    escalations.push({
      kind: 'repeat_target',
      dedupeKey: `repeat_target:${wo.targetId}:${year}`,
      targetId: wo.targetId,
      unitId: wo.unitId,
      noticeId,
      year,
      count,
      proposedAction: wo.kind === 'newmedia' ? PROPOSED_ACTIONS.newmedia : PROPOSED_ACTIONS.website,
    });
  }
  for (const unitId of new Set(orders.map((wo) => wo.unitId))) {
    const count = input.unitCounts.get(unitId) ?? 1;
    if (count < threshold) continue;
    escalations.push({
      kind: 'repeat_unit',
      dedupeKey: `repeat_unit:${unitId}:${year}`,
      targetId: null,
      unitId,
      noticeId,
      year,
      count,
      proposedAction: PROPOSED_ACTIONS.unit,
    });
  }
  return { escalations, namedBefore };
}
