/**
 * Which order a reply is about, among the sender's open orders: the code when given, else the
 * target's name or a recognisable part of it (指尖上的城管那个), the platform (抖音号), the problem
 * (错别字的那个), the notice (88号文, 四季度通报). Several equally good: all of them, so the caller
 * lists them as buttons.
 */
import { GENERIC_TARGET_WORDS, PLATFORMS, PROBLEM_WORDS } from './lexicon';
import { normalize } from './normalize';

export interface OrderCandidate {
  id: number;
  code: string;
  target: string;
  platform: string | null;
  problems: { category: string; text: string }[];
  docNo: string;
  noticeTitle: string;
}

export interface Resolution<T extends OrderCandidate> {
  /** The order the text is about; null when none or several fit. */
  order: T | null;
  /** The best-fitting candidates (all of them when nothing in the text points anywhere). */
  candidates: T[];
  /** What decided: code, target, platform, problem, notice, only (the one open order), none. */
  by: 'code' | 'target' | 'platform' | 'problem' | 'notice' | 'only' | 'none';
}

const CODE = /(\d{4})[-－—](\d{1,8})/g;

/** Codes written in a text (2026-0001, full-width dashes too). */
export function codesIn(text: string): string[] {
  const t = text.normalize('NFKC');
  return [...t.matchAll(CODE)].map((m) => `${m[1]}-${m[2]}`);
}

function isGeneric(piece: string): boolean {
  let t = piece;
  for (const w of GENERIC_TARGET_WORDS) t = t.split(w).join('');
  return t.length === 0;
}

/**
 * How much of the target's name the text holds: the longest run of it found in the text (the whole
 * name scores highest), ignoring runs made only of generic words (政府, 公众号, 县…).
 */
function targetOverlap(text: string, target: string): number {
  const tgt = normalize(target);
  if (tgt.length >= 2 && text.includes(tgt)) return 100 + tgt.length;
  for (let len = tgt.length - 1; len >= 2; len--) {
    for (let i = 0; i + len <= tgt.length; i++) {
      const piece = tgt.slice(i, i + len);
      if (text.includes(piece) && !isGeneric(piece)) return len;
    }
  }
  return 0;
}

function platformGroups(text: string): string[] {
  return Object.entries(PLATFORMS)
    .filter(([, words]) => words.some((w) => text.includes(w)))
    .map(([group]) => group);
}

function platformFits(o: OrderCandidate, groups: string[]): boolean {
  const p = normalize(`${o.platform ?? ''}${o.target}`);
  return groups.some((g) => PLATFORMS[g].some((w) => p.includes(w)));
}

function problemFits(o: OrderCandidate, text: string): boolean {
  for (const p of o.problems) {
    const words = PROBLEM_WORDS[p.category] ?? [];
    if (words.some((w) => text.includes(w))) return true;
    const pt = normalize(p.text);
    for (let i = 0; i + 4 <= pt.length; i++) if (text.includes(pt.slice(i, i + 4))) return true;
  }
  return false;
}

function noticeFits(o: OrderCandidate, text: string): boolean {
  const no = /〔?\[?(\d{4})[〕\]]?(\d+)号/.exec(o.docNo.normalize('NFKC'));
  if (no && new RegExp(`(^|\\D)${no[2]}号(文|通报)?`).test(text) && /文|通报|号文/.test(text)) return true;
  const doc = normalize(o.docNo);
  if (doc.length >= 4 && text.includes(doc.slice(0, 4))) return true;
  const period = /(20\d\d年)?(第?[一二三四1-4]季度|上半年|下半年)/.exec(o.noticeTitle);
  return !!period && text.includes(period[2].replace(/^第/, ''));
}

export function resolveOrder<T extends OrderCandidate>(text: string, open: T[]): Resolution<T> {
  if (!open.length) return { order: null, candidates: [], by: 'none' };
  const codes = codesIn(text);
  if (codes.length) {
    const hit = open.filter((o) => codes.includes(o.code));
    if (hit.length === 1) return { order: hit[0], candidates: hit, by: 'code' };
  }
  const t = normalize(text);
  let pool = open;
  let by: Resolution<T>['by'] = 'none';
  const narrow = (keep: T[], why: Resolution<T>['by']) => {
    if (keep.length && keep.length < pool.length) {
      pool = keep;
      if (by === 'none') by = why;
    }
  };
  const scores = pool.map((o) => targetOverlap(t, o.target));
  const top = Math.max(...scores);
  if (top >= 2) narrow(pool.filter((_, i) => scores[i] === top), 'target');
  const groups = platformGroups(t);
  if (groups.length) narrow(pool.filter((o) => platformFits(o, groups)), 'platform');
  narrow(pool.filter((o) => problemFits(o, t)), 'problem');
  narrow(pool.filter((o) => noticeFits(o, t)), 'notice');
  if (pool.length === 1) return { order: pool[0], candidates: pool, by: open.length === 1 && by === 'none' ? 'only' : by };
  return { order: null, candidates: pool, by: 'none' };
}
