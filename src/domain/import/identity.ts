/**
 * Identity of targets and units across notices.
 *
 * Names are normalized with NFKC (full-width letters and digits become half-width), Latin
 * letters lower-cased, and whitespace collapsed; whitespace between two Chinese characters is
 * removed altogether, because it is an artefact of line breaks inside table cells ("咸宁市城市管理
 * ⏎执法委员会" is "咸宁市城市管理执法委员会"). New-media accounts are identified by name plus
 * platform family (微信公众号/服务号/订阅号/微信号 are all WeChat): the same name on two platforms
 * is two targets. Websites are identified by name, and matched by address when one is given.
 */
import type { TargetKind } from '../problems/taxonomy';

/** What identifies and describes a flagged target, as read from a notice. */
export interface TargetFields {
  identity: string;
  kind: TargetKind;
  name: string;
  normalizedName: string;
  platform: string | null;
  family: string | null;
  address: string | null;
}

const CJK = '\\p{Script=Han}\\u3000-\\u303f\\uff00-\\uffef';
const BETWEEN_CJK = new RegExp(`(?<=[${CJK}])\\s+(?=[${CJK}])`, 'gu');

/** A cell's text for display: line breaks inside cells removed, whitespace collapsed. */
export function cleanText(s: string): string {
  return s.replace(BETWEEN_CJK, '').replace(/\s+/g, ' ').trim();
}

/** The normalized form of a name, used for matching. */
export function normalizeName(s: string): string {
  return cleanText(s.normalize('NFKC')).toLowerCase();
}

export interface PlatformFamily {
  /** Stable id: wechat, weibo, douyin, … or `other:<normalized text>`; `unknown` when not given. */
  family: string;
  /** The platform as written (one part of a cell like "抖音、快手"). */
  label: string;
}

const FAMILIES: [string, RegExp][] = [
  ['wechat_channels', /视频号/],
  ['wechat', /(微信|公众号|服务号|订阅号|wechat|weixin)/],
  ['weibo', /(微博|weibo)/],
  ['douyin', /(抖音|douyin|tiktok)/],
  ['kuaishou', /(快手|kuaishou)/],
  ['xigua', /西瓜/],
  ['toutiao', /头条/],
  ['bilibili', /(哔哩|b站|bilibili)/],
  ['xiaohongshu', /小红书/],
  ['baijiahao', /(百家号|百度)/],
  ['penguin', /(企鹅号|腾讯新闻)/],
  ['netease', /网易/],
  ['nanfang', /南方(号|\+)/],
  ['miniprogram', /小程序/],
  ['app', /(客户端|\bapp\b|移动应用)/],
  ['website', /(网站|门户|网页)/],
];

/** The platform families named in a platform cell ("抖音、快手" names two). */
export function platformFamilies(cell: string): PlatformFamily[] {
  const text = cleanText(cell);
  if (!text) return [{ family: 'unknown', label: '' }];
  const parts = text
    .split(/[、，,;；/／|]|\s+和\s+|及/u)
    .map((p) => p.trim())
    .filter(Boolean);
  const out: PlatformFamily[] = [];
  for (const label of parts.length ? parts : [text]) {
    const n = normalizeName(label);
    const family = FAMILIES.find(([, re]) => re.test(n))?.[0] ?? `other:${n}`;
    if (!out.some((f) => f.family === family)) out.push({ family, label });
  }
  return out;
}

/** The host of a website address ("http://www.Example.gov.cn/index.html" → "example.gov.cn"). */
export function normalizeAddress(address: string): string | null {
  const a = address.normalize('NFKC').trim().toLowerCase();
  if (!a) return null;
  const m = /^(?:[a-z]+:\/\/)?(?:www\.)?([^/?#\s]+)/.exec(a);
  return m ? m[1].replace(/\.$/, '') : null;
}

export interface TargetIdentityInput {
  kind: TargetKind;
  name: string;
  family?: string | null;
  /** Column targets: the site the column belongs to. */
  site?: string | null;
}

/** The identity key of a target (unique in targets.identity). */
export function targetIdentity(t: TargetIdentityInput): string {
  const name = normalizeName(t.name);
  switch (t.kind) {
    case 'newmedia':
      return `newmedia:${t.family ?? 'unknown'}:${name}`;
    case 'column':
      return `column:${normalizeName(t.site ?? '')}/${name}`;
    default:
      return `website:${name}`;
  }
}
