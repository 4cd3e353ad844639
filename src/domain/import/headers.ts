/**
 * Header recognition: which column of a notice table holds which field.
 *
 * Real tables spell their headers differently from city to city and year to year, wrap them
 * over two lines, use full- or half-width brackets and stack two header rows. Recognition
 * normalizes a header (NFKC, no whitespace, no trailing colon) and tries, in order: the user's
 * --map, an exact known spelling, the spelling without a parenthesised remark, then keyword
 * rules. Columns it does not recognise are kept as extra attributes of the work order.
 */
import type { TargetKind } from '../problems/taxonomy';
import { cleanText } from './identity';

export const FIELDS = ['name', 'column', 'unit', 'platform', 'address', 'problem', 'jurisdiction', 'due', 'seq'] as const;
export type Field = (typeof FIELDS)[number];

/** What a header maps to: a field, `extra` (kept as an attribute) or `ignore` (dropped). */
export type ColumnRole = Field | 'extra' | 'ignore';

export const FIELD_LABELS: Record<Field, string> = {
  name: '名称（账号名称、新媒体名称、网站名称…）',
  column: '栏目名称',
  unit: '单位（主办单位、开设单位、开设主体、认证主体、单位名称…）',
  platform: '平台/账号类型（账号类型、新媒体类型、平台…）',
  address: '地址（首页地址、网址、域名…）',
  problem: '问题（存在问题、主要问题、检查发现的问题、问题描述…）',
  jurisdiction: '辖区（辖区、县（区）、市直/县(市、区)…）',
  due: '整改期限（整改期限、办理时限…）',
  seq: '序号（忽略）',
};

/** Names accepted by --map for each role (English ids and Chinese words). */
const MAP_NAMES: Record<string, ColumnRole> = {
  name: 'name',
  名称: 'name',
  column: 'column',
  栏目: 'column',
  unit: 'unit',
  单位: 'unit',
  platform: 'platform',
  平台: 'platform',
  address: 'address',
  url: 'address',
  地址: 'address',
  problem: 'problem',
  问题: 'problem',
  jurisdiction: 'jurisdiction',
  辖区: 'jurisdiction',
  due: 'due',
  期限: 'due',
  seq: 'ignore',
  ignore: 'ignore',
  忽略: 'ignore',
  extra: 'extra',
  保留: 'extra',
};

export class HeaderMapError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HeaderMapError';
  }
}

/** Normalized header text: NFKC (full-width brackets → half-width), no whitespace, no trailing colon or star. */
export function normalizeHeader(h: string): string {
  return h
    .normalize('NFKC')
    .replace(/\s+/g, '')
    .replace(/[:：*＊]+$/u, '')
    .replace(/^[*＊]+/u, '')
    .toLowerCase();
}

/** Parses `--map '表头=field'` entries into a map from normalized header to role. */
export function parseHeaderMap(entries: string[] = []): Map<string, ColumnRole> {
  const out = new Map<string, ColumnRole>();
  for (const entry of entries) {
    const i = entry.lastIndexOf('=');
    if (i <= 0 || i === entry.length - 1) {
      throw new HeaderMapError(`--map 的格式应为 '表头=字段'，例如 --map '责任主体=unit'，收到“${entry}”`);
    }
    const header = normalizeHeader(entry.slice(0, i));
    const target = entry.slice(i + 1).trim();
    const role = MAP_NAMES[target.toLowerCase()] ?? MAP_NAMES[target];
    if (!role) {
      throw new HeaderMapError(
        `--map 中的字段“${target}”无法识别；可用字段：${Object.keys(MAP_NAMES)
          .filter((k) => /^[a-z]/.test(k))
          .join('、')}`,
      );
    }
    out.set(header, role);
  }
  return out;
}

const EXACT: Record<string, ColumnRole> = {};
/**
 * Headers that hold the findings in some tables but a verdict (合格/不合格) or a note in others:
 * a problem column only when the table has no other.
 */
const WEAK_PROBLEM_HEADERS = ['检查情况', '检测情况', '抽查情况', '监测情况', '检查结果', '检测结果', '抽查结果', '情况说明', '具体情况'];
const add = (role: ColumnRole, ...names: string[]) => names.forEach((n) => (EXACT[normalizeHeader(n)] = role));
add('seq', '序号', '编号', '序', 'no', 'no.', '#', '排序');
add('name', '账号名称', '新媒体名称', '网站名称', '名称', '账号', '帐号', '帐号名称', '公众号名称', '微博名称', '站点名称',
  '政务新媒体名称', '新媒体账号', '新媒体账号名称', '账号昵称', '网站', '政府网站', '政务新媒体');
add('column', '栏目名称', '栏目', '专栏名称', '专栏', '子栏目', '频道名称');
add('unit', '开设单位', '主办单位', '开设主体', '认证主体', '开办主体', '单位名称', '单位', '责任单位', '运营单位', '运维单位',
  '开办单位', '主体', '主办主体', '账号主体', '运营主体', '所属单位', '主管主办单位', '网站主办单位', '部门', '单位部门');
add('platform', '账号类型', '新媒体类型', '平台', '类型', '平台类型', '所在平台', '账号平台', '媒体类型', '新媒体平台', '渠道', '载体');
add('address', '首页地址', '网址', '网站地址', '域名', 'url', '链接', '网站域名', '主页地址', '首页网址', '栏目地址', '栏目链接', '网站网址');
add('problem', '存在问题', '存在的问题', '主要问题', '检查发现的问题', '抽查发现的突出问题', '问题', '问题描述', '问题清单', '突出问题',
  '发现问题', '问题情况', '扣分原因', '不合格原因', '问题详情', '存在主要问题', '问题类型', '检查问题', '监测发现的问题', '错误内容');
add('jurisdiction', '辖区', '县（区）', '县(区)', '市直', '市直/县(市、区)', '市直/县市区', '县(市、区)', '县市区', '县区', '区县', '地区',
  '区域', '所属地区', '属地', '所在地区', '行政区划');
add('problem', ...WEAK_PROBLEM_HEADERS);
add('due', '整改期限', '办理时限', '整改时限', '完成时限', '截止日期', '整改截止时间', '办结时限', '反馈时限', '整改截止日期');
add('extra', '整改结果', '整改情况', '备注', '主管单位', '网站标识码', '标识码', '微信号', '账号id', '原始id');

/** Known header spellings of the fields (normalized): a data row never equals two of them. */
export const EXACT_HEADERS: ReadonlySet<string> = new Set(
  Object.entries(EXACT)
    .filter(([, role]) => role !== 'extra')
    .map(([h]) => h),
);

/** Every known header spelling (normalized), attributes included. */
export const KNOWN_HEADERS: ReadonlySet<string> = new Set(Object.keys(EXACT));

/** Keyword rules, tried in order when no exact spelling matched. */
const RULES: [RegExp, ColumnRole][] = [
  [/^(序号|编号|序次|次序|顺序号|no\.?|#)$/, 'seq'],
  [/(期限|时限|截止|完成时间|办结时间)/, 'due'],
  [/(整改(结果|情况|措施|反馈|落实|进展|完成)|复核|复查)/, 'extra'],
  [/(数|数量|率|占比|得分|分数|分值|合计)$/, 'extra'],
  [/(主管单位|主管部门)/, 'extra'],
  // Where a finding was seen (its page, link, screenshot, time), not the finding itself.
  [/(问题|错误|违规).*(链接|网址|地址|url|截图|页面|位置|出处|时间|日期)$/, 'extra'],
  [/^正确/, 'extra'],
  [/(问题|扣分|不合格|不合规|不规范|不达标|违规|存在不足|错误|错敏|表现|(检查|监测|抽查|巡查|检测)发现)/, 'problem'],
  [/(备注|说明|标识码|原始id|账号id|^id$)/, 'extra'],
  [/(地址|网址|域名|url|链接|首页)/, 'address'],
  [/(栏目|专栏|频道)/, 'column'],
  [/(辖区|县\(市|县市区|县\(区\)|县区|区县|旗区|旗县|市直|地区|地市|盟市|区域|区划|属地|行政区|市州|县市|镇街)/, 'jurisdiction'],
  [/(类型|平台|渠道|载体|类别)/, 'platform'],
  // 单位/主体… and the person-like words of filings: 主办者, 开办者, 运营者 (网站主办者, 账号运营者).
  [/(单位|主体|部门|机构|机关|(主办|开办|开设|运营|举办)(者|方))/, 'unit'],
  [/(名称|账号|帐号|网站|新媒体|公众号|微博|站点|昵称|号名)/, 'name'],
];

/** The role of one header, or null when it is empty. */
export function recognizeHeader(header: string, map?: Map<string, ColumnRole>): ColumnRole | null {
  const h = normalizeHeader(header);
  if (!h) return null;
  const mapped = map?.get(h);
  if (mapped) return mapped;
  if (EXACT[h]) return EXACT[h];
  const bare = h.replace(/\([^)]*\)|\[[^\]]*\]|【[^】]*】/g, '');
  if (bare && EXACT[bare]) return EXACT[bare];
  for (const [re, role] of RULES) if (re.test(h)) return role;
  return 'extra';
}

export interface ColumnSpec {
  index: number;
  header: string;
  role: ColumnRole;
}

export interface HeaderLayout {
  /** Header texts as shown to users (the two rows of a compound header joined with "/"). */
  headers: string[];
  columns: ColumnSpec[];
  /** Column index per field (the first column wins; further problem columns are joined). */
  fields: Partial<Record<Field, number>>;
  problemColumns: number[];
  /** Header rows used (1 or 2). */
  rowCount: number;
  kind: TargetKind;
}

const clean = cleanText;

/** Builds the layout of one header (one row, or two rows of a compound header). */
export function layoutOf(rows: string[][], map?: Map<string, ColumnRole>): HeaderLayout {
  const width = Math.max(...rows.map((r) => r.length));
  const headers: string[] = [];
  const columns: ColumnSpec[] = [];
  for (let c = 0; c < width; c++) {
    let header: string;
    let role: ColumnRole | null;
    if (rows.length === 1) {
      header = clean(rows[0][c] ?? '');
      role = recognizeHeader(header, map);
    } else {
      const top = clean(rows[0][c] ?? '');
      const bottom = clean(rows[1][c] ?? '');
      if (!bottom || bottom === top) {
        header = top;
        role = recognizeHeader(top, map);
      } else if (!top) {
        header = bottom;
        role = recognizeHeader(bottom, map);
      } else {
        header = `${top}/${bottom}`;
        role = map?.get(normalizeHeader(header)) ?? map?.get(normalizeHeader(bottom)) ?? null;
        if (!role) {
          const b = recognizeHeader(bottom);
          const whole = recognizeHeader(`${top}${bottom}`);
          role = b !== 'extra' ? b : whole !== 'extra' ? whole : recognizeHeader(top);
        }
      }
    }
    headers.push(header);
    if (role) columns.push({ index: c, header, role });
  }
  const weak = new Set(WEAK_PROBLEM_HEADERS.map(normalizeHeader));
  const isWeak = (c: ColumnSpec) => c.role === 'problem' && weak.has(normalizeHeader(c.header.split('/').pop()!)) && !map?.has(normalizeHeader(c.header));
  if (columns.some((c) => c.role === 'problem' && !isWeak(c))) {
    for (const c of columns) if (isWeak(c)) c.role = 'extra';
  }
  const fields: Partial<Record<Field, number>> = {};
  const problemColumns: number[] = [];
  for (const col of columns) {
    if (col.role === 'extra' || col.role === 'ignore') continue;
    if (col.role === 'problem') problemColumns.push(col.index);
    if (fields[col.role] === undefined) fields[col.role] = col.index;
    else if (col.role !== 'problem' && col.role !== 'seq') col.role = 'extra';
  }
  return { headers, columns, fields, problemColumns, rowCount: rows.length, kind: inferKind(headers, fields) };
}

/** The kind of target a table lists, from its headers. */
export function inferKind(headers: string[], fields: Partial<Record<Field, number>>): TargetKind {
  if (fields.column !== undefined) return 'column';
  const all = headers.map(normalizeHeader).join('|');
  if (/(账号|帐号|新媒体|公众号|微博|抖音|平台)/.test(all)) return 'newmedia';
  if (/(网站|网址|首页|域名)/.test(all)) return 'website';
  if (fields.platform !== undefined) return 'newmedia';
  return 'website';
}

/** Whether a layout has the columns an import needs. */
export function isUsable(l: HeaderLayout): boolean {
  return l.problemColumns.length > 0 && (l.fields.name !== undefined || l.fields.unit !== undefined || l.fields.column !== undefined);
}

/** A score for choosing the header row: recognised fields, the required ones weighing most. */
export function scoreLayout(l: HeaderLayout): number {
  let s = 0;
  for (const f of Object.keys(l.fields) as Field[]) if (f !== 'seq') s += 1;
  if (l.problemColumns.length) s += 2;
  if (l.fields.name !== undefined || l.fields.unit !== undefined) s += 2;
  return s;
}

/** The message listing what was found and what is expected, for a table without usable headers. */
export function missingColumnsMessage(headers: string[], l: HeaderLayout | null, where: string): string {
  const missing: string[] = [];
  if (!l || l.problemColumns.length === 0) missing.push(FIELD_LABELS.problem);
  if (!l || (l.fields.name === undefined && l.fields.unit === undefined && l.fields.column === undefined)) {
    missing.push(`${FIELD_LABELS.name} 或 ${FIELD_LABELS.unit}`);
  }
  const found = headers.filter((h) => h.trim()).map((h) => `“${clean(h)}”`);
  return (
    `${where}找不到必需的列：${missing.join('；')}。` +
    `找到的表头：${found.length ? found.join('、') : '（无）'}。` +
    `可识别的字段：${(Object.keys(FIELD_LABELS) as Field[]).filter((f) => f !== 'seq').map((f) => FIELD_LABELS[f]).join('；')}。` +
    `可用 --map '表头=字段' 指定，例如 --map '责任主体=unit' --map '情况说明=problem'`
  );
}

const JURISDICTION_CELL = /^(市直|县直|区直|省直|市本级|本级|市级|县级|区级)|^[\u4e00-\u9fa5]{1,8}(省|市|县|区|旗|州|盟|镇|乡|街道|新区|开发区|高新区)$/u;
const UNIT_CELL = /(局|委|办|院|中心|政府|室|处|所|队|站|会|部|厅|社|馆|行|司|校|署|台|团|协会|联合会|集团|公司|党校|医院|学校|法院|检察院|委员会|办公室|管委会|人民政府)$/u;

/** Whether a cell reads as a unit (临沧市民政局) rather than a jurisdiction (市直, 嘉鱼县). */
export function looksLikeUnit(cell: string): boolean {
  const t = cleanText(cell).normalize('NFKC');
  if (!t) return false;
  if (JURISDICTION_CELL.test(t) && !/(人民政府|政府|委员会|管委会)$/u.test(t)) return false;
  return UNIT_CELL.test(t);
}

/**
 * Decides by content a column whose header could name the jurisdiction or the unit
 * ("县（区）/市直部门", "市直部门"): when most of its cells are units (临沧市民政局) and the table
 * has no other unit column, it is the unit column; cells like 市直, 嘉鱼县 keep it the
 * jurisdiction. Returns the layout unchanged when there is nothing to decide.
 */
export function decideByContent(layout: HeaderLayout, rows: string[][], map?: Map<string, ColumnRole>): HeaderLayout {
  const j = layout.fields.jurisdiction;
  if (j === undefined || layout.fields.unit !== undefined) return layout;
  const header = layout.headers[j] ?? '';
  if (map?.has(normalizeHeader(header))) return layout;
  const cells = rows.map((r) => cleanText(r[j] ?? '')).filter(Boolean).slice(0, 100);
  if (cells.length === 0) return layout;
  const units = cells.filter(looksLikeUnit).length;
  if (units * 2 <= cells.length) return layout;
  const columns = layout.columns.map((c) => (c.index === j ? { ...c, role: 'unit' as const } : c));
  const fields = { ...layout.fields, unit: j };
  delete fields.jurisdiction;
  return { ...layout, columns, fields };
}
