/** Repeat offenders of one notice from the year's notice counts, at any threshold. */
import { PROPOSED_ACTIONS, repeatOffenders } from '../../src/domain/import/repeat-offenders';

const orders = [
  { targetId: 1, unitId: 10, kind: 'newmedia' as const },
  { targetId: 2, unitId: 10, kind: 'website' as const },
  { targetId: 3, unitId: 20, kind: 'column' as const },
];
const run = (threshold: number, targets: [number, number][], units: [number, number][]) =>
  repeatOffenders({ orders, targetCounts: new Map(targets), unitCounts: new Map(units), threshold, year: 2026, noticeId: 7 });

describe('repeatOffenders', () => {
  it('escalates targets and units at or above the threshold, with the proposed action of their kind', () => {
    const r = run(2, [[1, 2], [2, 3], [3, 1]], [[10, 2]]);
    expect(r.escalations.map((e) => [e.kind, e.dedupeKey, e.count, e.proposedAction])).toEqual([
      ['repeat_target', 'repeat_target:1:2026', 2, PROPOSED_ACTIONS.newmedia],
      ['repeat_target', 'repeat_target:2:2026', 3, PROPOSED_ACTIONS.website],
      ['repeat_unit', 'repeat_unit:10:2026', 2, PROPOSED_ACTIONS.unit],
    ]);
    expect(r.escalations.every((e) => e.noticeId === 7 && e.year === 2026)).toBe(true);
    expect(r.namedBefore).toBe(2);
  });

  it('follows a configured threshold: below it, named again but not escalated', () => {
    const r = run(3, [[1, 2], [2, 3]], [[10, 2], [20, 3]]);
    expect(r.escalations.map((e) => e.dedupeKey)).toEqual(['repeat_target:2:2026', 'repeat_unit:20:2026']);
    expect(r.namedBefore).toBe(2);
    expect(run(5, [[1, 4]], [[10, 4]]).escalations).toEqual([]);
  });

  it('counts a target or unit missing from the counts as named once (this notice)', () => {
    expect(run(1, [], []).escalations).toHaveLength(3 + 2);
    expect(run(2, [], []).escalations).toEqual([]);
    expect(run(2, [], []).namedBefore).toBe(0);
  });
});
