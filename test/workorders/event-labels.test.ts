/**
 * Every event type the code emits has a Chinese label: the types are read from the sources
 * (`type: '…'` with its alternatives, the conversation's event('…') helper, and the work-order
 * store's `work_order.${action}` over every action), so a new type without a label fails here.
 */
import fs from 'node:fs';
import path from 'node:path';
import { EVENT_LABELS, eventLabel } from '../../src/domain/events/labels';
import { ACTIONS } from '../../src/domain/workorders/states';

const SRC = path.join(__dirname, '..', '..', 'src');

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'public' || e.name === 'app' ? [] : sources(p);
    return e.name.endsWith('.ts') ? [p] : [];
  });
}

function emittedTypes(): { types: Set<string>; templated: string[] } {
  const types = new Set<string>();
  const templated: string[] = [];
  const literal = /'([a-z_]+(?:\.[a-z_]+)+)'/g;
  for (const file of sources(SRC)) {
    const text = fs.readFileSync(file, 'utf8');
    // `type: <expression>` up to the end of the property (a ternary names both types).
    for (const m of text.matchAll(/\btype: (`[^`\n]*`|[^,\n}]+)/g)) {
      const expr = m[1];
      if (expr.startsWith('`')) templated.push(`${path.relative(SRC, file)}: ${expr.trim()}`);
      for (const l of expr.matchAll(literal)) types.add(l[1]);
    }
    for (const m of text.matchAll(/\bevent\('([a-z_]+(?:\.[a-z_]+)+)'\)/g)) types.add(m[1]);
  }
  return { types, templated };
}

describe('event labels', () => {
  it('has a Chinese label for every event type emitted in src/', () => {
    const { types, templated } = emittedTypes();
    // The one templated type: the state machine's transitions.
    expect(templated).toEqual(['domain/workorders/store.ts: `work_order.${action}`']);
    for (const a of ACTIONS) types.add(`work_order.${a}`);
    expect(types.size).toBeGreaterThan(50);
    const missing = [...types].filter((t) => !EVENT_LABELS[t]);
    expect(missing).toEqual([]);
    for (const t of types) expect(eventLabel(t)).toMatch(/[\u4e00-\u9fff]/);
  });

  it('shows an unknown type as it is rather than hiding it', () => {
    expect(eventLabel('something.new')).toBe('something.new');
  });
});
