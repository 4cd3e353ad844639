/**
 * Reading a contacts table (CSV in UTF-8 or GB18030, XLSX, JSON) with the importer's readers,
 * encoding detection and header normalization. Headers are matched tolerantly (known spellings,
 * then keywords); every row is validated, and a file with any bad row is refused as a whole.
 */
import { normalizeHeader } from '../import/headers';
import { cleanText } from '../import/identity';
import { openTable } from '../import/readers';

export const CONTACT_ROLES = ['primary', 'backup', 'leader', 'supervisor', 'admin'] as const;
export type ContactRole = (typeof CONTACT_ROLES)[number];

export const ROLE_LABELS: Record<ContactRole, string> = {
  primary: '主联系人',
  backup: 'AB角',
  leader: '分管领导',
  supervisor: '主管单位',
  admin: '管理员',
};

const ROLE_WORDS: Record<string, ContactRole> = {};
const role = (r: ContactRole, ...words: string[]) => words.forEach((w) => (ROLE_WORDS[normalizeHeader(w)] = r));
role('primary', '主联系人', '联系人', '主要联系人', 'A角', '主', 'primary');
role('backup', 'AB角', 'B角', '备用联系人', '备份联系人', '副联系人', '备', 'backup');
role('leader', '分管领导', '领导', '分管负责人', 'leader');
role('supervisor', '主管单位', '督办人', '督办', '审核人', '主管部门', '督办单位', 'supervisor');
role('admin', '管理员', '系统管理员', 'admin');

export const SUPERVISOR_NEEDS_SCOPE = '主管单位（督办人）须填写督办范围（单位或辖区）、辖区，或其所在单位须是某单位的主管单位';

export function parseRole(text: string): ContactRole | null {
  return ROLE_WORDS[normalizeHeader(text)] ?? null;
}

export type ContactField = 'unit' | 'userid' | 'name' | 'role' | 'phone' | 'jurisdiction' | 'supervising' | 'scope';

const HEADER_WORDS: Record<string, ContactField> = {};
const header = (f: ContactField, ...words: string[]) => words.forEach((w) => (HEADER_WORDS[normalizeHeader(w)] = f));
header('unit', '单位', '单位名称', '所属单位', '部门', '工作单位', 'unit');
header('userid', '企业微信账号', '企业微信', 'userid', '企业微信userid', '企业微信id', '账号', '成员账号', '用户id', '企业微信帐号', 'wecom_userid');
header('name', '姓名', '联系人姓名', '名字', 'name');
header('role', '角色', '联系人类型', '类型', '身份', '职责', 'role');
header('phone', '手机', '手机号', '手机号码', '电话', '联系电话', 'phone');
header('jurisdiction', '辖区', '县（区）', '县(区)', '县(市、区)', '市直/县(市、区)', '地区', '区域', 'jurisdiction');
header('supervising', '主管单位', '主管部门', 'supervising_unit');
header('scope', '督办范围', '管辖范围', '负责单位', '督办单位', '审核范围', 'scope');

const KEYWORDS: [RegExp, ContactField][] = [
  [/(企业微信|userid|帐号|账号)/, 'userid'],
  [/(督办范围|管辖范围|负责范围)/, 'scope'],
  [/(主管单位|主管部门)/, 'supervising'],
  [/(角色|职责|身份)/, 'role'],
  [/(姓名|名字)/, 'name'],
  [/(手机|电话)/, 'phone'],
  [/(辖区|县区|县\(|地区|区域)/, 'jurisdiction'],
  [/(单位|部门)/, 'unit'],
];

export function recognizeContactHeader(h: string): ContactField | null {
  const n = normalizeHeader(h);
  if (!n) return null;
  if (HEADER_WORDS[n]) return HEADER_WORDS[n];
  for (const [re, f] of KEYWORDS) if (re.test(n)) return f;
  return null;
}

export const USERID = /^[A-Za-z0-9_.@-]{1,64}$/;

export interface ContactRow {
  line: number;
  sheet?: string;
  unit: string | null;
  userid: string;
  name: string | null;
  role: ContactRole;
  phone: string | null;
  jurisdiction: string | null;
  supervising: string | null;
  /** Supervisor rows: units or jurisdictions supervised. */
  scope: string[];
}

export interface ContactRejection {
  line: number;
  sheet?: string;
  reason: string;
}

export interface ParsedContacts {
  rows: ContactRow[];
  rejected: ContactRejection[];
  /** Data rows read (blank rows not counted). */
  count: number;
}

export class ContactsFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ContactsFileError';
  }
}

const splitList = (s: string) =>
  s
    .split(/[、，,;；/|\n]+/u)
    .map((x) => cleanText(x))
    .filter(Boolean);

export async function parseContactsFile(file: string, options: { sheet?: string } = {}): Promise<ParsedContacts> {
  const source = await openTable(file, { sheet: options.sheet });
  let columns: Partial<Record<ContactField, number>> | null = null;
  let scanned = 0;
  let currentSheet: string | undefined;
  const rows: ContactRow[] = [];
  const rejected: ContactRejection[] = [];
  let count = 0;
  for await (const raw of source.rows) {
    if (raw.sheet !== currentSheet) {
      // Each sheet has its own header.
      currentSheet = raw.sheet;
      columns = null;
      scanned = 0;
    }
    const cells = raw.cells.map((c) => cleanText(String(c ?? '')));
    if (cells.every((c) => !c)) continue;
    if (!columns) {
      scanned++;
      const found: Partial<Record<ContactField, number>> = {};
      cells.forEach((c, i) => {
        const f = recognizeContactHeader(c);
        if (f && found[f] === undefined) found[f] = i;
      });
      if (found.userid !== undefined && (found.role !== undefined || found.unit !== undefined)) {
        columns = found;
        continue;
      }
      if (scanned >= 20) {
        throw new ContactsFileError(
          `${raw.sheet ? `工作表“${raw.sheet}”` : ''}前 20 行中找不到表头：须有“企业微信账号”（或 userid）列和“角色”或“单位”列；` +
            `可用表头：单位、企业微信账号、姓名、角色、手机、辖区、主管单位、督办范围`,
        );
      }
      continue;
    }
    count++;
    const get = (f: ContactField) => (columns![f] === undefined ? '' : (cells[columns![f]] ?? '').trim());
    const where = { line: raw.line, ...(raw.sheet ? { sheet: raw.sheet } : {}) };
    const problems: string[] = [];
    const userid = get('userid');
    if (!userid) problems.push('缺少企业微信账号');
    else if (!USERID.test(userid)) problems.push(`企业微信账号“${userid}”无效（只能包含字母、数字和 _ . @ -，不超过 64 个字符）`);
    const roleText = get('role');
    const r: ContactRole | null = roleText ? parseRole(roleText) : columns.role === undefined ? 'primary' : null;
    if (!r) problems.push(roleText ? `角色“${roleText}”无法识别（可用：主联系人、AB角、分管领导、主管单位、管理员）` : '缺少角色');
    const unit = get('unit') || null;
    if (r && ['primary', 'backup', 'leader'].includes(r) && !unit) problems.push(`${ROLE_LABELS[r]}须填写单位`);
    const scope = splitList(get('scope'));
    const jurisdiction = get('jurisdiction') || null;
    // A supervisor supervises its scope, its jurisdiction, or the units whose 主管单位 it works in.
    if (r === 'supervisor' && scope.length === 0 && !jurisdiction && !unit) {
      problems.push(SUPERVISOR_NEEDS_SCOPE);
    }
    const name = get('name') || null;
    if (name && name.length > 100) problems.push('姓名过长');
    if (unit && unit.length > 200) problems.push('单位名称过长');
    if (problems.length) {
      rejected.push({ ...where, reason: problems.join('；') });
      continue;
    }
    rows.push({
      ...where,
      unit,
      userid,
      name,
      role: r!,
      phone: get('phone').slice(0, 40) || null,
      jurisdiction: jurisdiction?.slice(0, 100) ?? null,
      supervising: get('supervising') || null,
      scope,
    });
  }
  if (!columns && count === 0 && rows.length === 0 && rejected.length === 0) {
    throw new ContactsFileError('文件中找不到联系人表头：须有“企业微信账号”（或 userid）列和“角色”或“单位”列');
  }
  if (count === 0) throw new ContactsFileError('联系人表没有数据行');
  return { rows, rejected, count };
}
