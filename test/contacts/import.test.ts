/** Importing the contacts table, and who supervises whom. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ExcelJS from 'exceljs';
import iconv from 'iconv-lite';
import { ManualClock } from '../../src/clock';
import { KnexEventLog } from '../../src/domain/events/events';
import { ContactsService, ContactsRejectedError } from '../../src/domain/contacts/service';
import { ContactsFileError, parseRole } from '../../src/domain/contacts/parse';
import { describeEachDb } from '../support/db';
import { runCli } from '../support/spawn';

const FIX = path.join(__dirname, '..', 'fixtures', 'conversation', 'contacts.csv');
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'rb-contacts-'));

const count = async (db: any, table: string) => Number((await db(table).count({ n: '*' }))[0].n);

describe('roles', () => {
  it('reads the spellings users write', () => {
    expect(['主联系人', 'AB角', 'B角', '分管领导', '主管单位', '督办人', '管理员', ' 联系人 '].map(parseRole)).toEqual([
      'primary', 'backup', 'backup', 'leader', 'supervisor', 'supervisor', 'admin', 'primary',
    ]);
    expect(parseRole('科员')).toBeNull();
  });
});

describeEachDb('contacts import', (get) => {
  const service = () => new ContactsService(get().db, new KnexEventLog(get().db), new ManualClock('2026-11-23T02:00:00Z'));

  it('imports a UTF-8 CSV: units, roles and supervisions', async () => {
    const s = service();
    const r = await s.importFile(FIX);
    expect(r).toEqual({ rows: 6, contacts: 6, contacts_new: 6, units_new: 4, supervisions_new: 2, rejected: [] });
    const db = get().db;
    const jia = await db('units').where({ name: '甲县教育局' }).first();
    expect(jia.jurisdiction).toBe('甲县');
    const roles = (await s.list({ unitId: jia.id })).map((c) => [c.userid, c.role, c.name]);
    expect(roles).toEqual([['jia01', 'primary', '张丽'], ['jia02', 'backup', '王强']]);
    expect((await s.primaries(jia.id)).map((c) => c.userid)).toEqual(['jia01']);
    expect((await s.supervisorsOf(jia.id)).map((c) => c.userid)).toEqual(['dubanjia']);
    const yi = await db('units').where({ name: '乙市交通运输局' }).first();
    expect((await s.supervisorsOf(yi.id)).map((c) => c.userid)).toEqual(['dubanyi']);
    expect((await s.admins()).map((c) => c.userid)).toEqual(['admin1']);
    const sup = await s.byUserid('dubanjia');
    expect(await s.supervisedUnitIds(sup)).toEqual([jia.id]);
    expect(await s.canReview(sup, jia.id)).toBe(true);
    expect(await s.canReview(sup, yi.id)).toBe(false);
    expect(await s.canReview(await s.byUserid('admin1'), yi.id)).toBe(true);
    // A unit nobody supervises is reviewed by the admins.
    const [lone] = await db('units').insert({ name: '丁局', normalized_name: '丁局', created_at: 0, updated_at: 0 }).returning('id');
    expect((await s.reviewersOf(Number(lone.id ?? lone))).map((c) => c.userid)).toEqual(['admin1']);
    expect((await new KnexEventLog(db).list({ type: 'contacts.imported' }))).toHaveLength(1);
  });

  it('reads GB18030 and XLSX the same way, and links supervisors by unit and by 主管单位', async () => {
    const dir = tmp();
    const text = [
      '单位名称,企业微信userid,联系人姓名,联系人类型,联系电话,县（区）,督办范围,主管单位',
      '城东区教育局,e01,甲,主联系人,1,城东区,,城东区人民政府',
      '城西区税务局,w01,乙,主联系人,2,城西区,,',
      '城东区人民政府,d01,丙,督办人,3,,,',
      '市政府办公室,d02,丁,主管单位,4,,城西区税务局,',
    ].join('\r\n');
    const csv = path.join(dir, 'gbk.csv');
    fs.writeFileSync(csv, iconv.encode(text, 'gb18030'));
    // A supervisor row that gives only its unit, the 主管单位 another row names, is enough (d01).
    // One whose unit is nobody's 主管单位 supervises nothing: refused with its line, nothing stored.
    const stray = `${text}\r\n市财政局,d03,戊,督办人,5,,,`;
    fs.writeFileSync(csv, iconv.encode(stray, 'gb18030'));
    const err = await service().importFile(csv).catch((e) => e);
    expect(err).toBeInstanceOf(ContactsRejectedError);
    expect(err.result.rejected).toEqual([{ line: 6, reason: expect.stringContaining('主管单位（督办人）须填写督办范围') }]);
    expect(await count(get().db, 'contacts')).toBe(0);

    fs.writeFileSync(csv, iconv.encode(text, 'gb18030'));
    const s = service();
    expect(await s.importFile(csv)).toMatchObject({ rows: 4, contacts: 4, rejected: [] });
    const db = get().db;
    const east = await db('units').where({ name: '城东区教育局' }).first();
    const west = await db('units').where({ name: '城西区税务局' }).first();
    expect((await s.supervisorsOf(east.id)).map((c) => c.userid)).toEqual(['d01']);
    expect((await s.supervisorsOf(west.id)).map((c) => c.userid)).toEqual(['d02']);
    expect((await db('units').where({ id: east.supervising_unit_id }).first()).name).toBe('城东区人民政府');

    // The same table as a workbook with a title row.
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('联系人');
    ws.addRow(['2026年整改联系人名单']);
    for (const line of text.split('\r\n')) ws.addRow(line.split(','));
    const xlsx = path.join(dir, 'contacts.xlsx');
    await wb.xlsx.writeFile(xlsx);
    expect(await s.importFile(xlsx)).toMatchObject({ rows: 4, contacts: 4, contacts_new: 0, units_new: 0, supervisions_new: 0, rejected: [] });
    // Once stored, the supervising unit stays known: a later file may list its supervisor alone.
    fs.writeFileSync(csv, iconv.encode(['单位,企业微信账号,姓名,角色', '城东区人民政府,d04,己,督办人'].join('\n'), 'gb18030'));
    expect(await s.importFile(csv)).toMatchObject({ rows: 1, contacts_new: 1, rejected: [] });
    expect((await s.supervisorsOf(east.id)).map((c) => c.userid)).toEqual(['d01', 'd04']);
  });

  it('refuses a file with bad rows, with their line numbers, and stores nothing', async () => {
    const dir = tmp();
    const file = path.join(dir, 'bad.csv');
    fs.writeFileSync(
      file,
      ['单位,企业微信账号,姓名,角色', '甲局,a01,张,主联系人', '乙局,,李,主联系人', '丙局,b 01,王,主联系人', '丁局,d01,赵,科员', ',e01,钱,AB角'].join('\n'),
    );
    const err = await service().importFile(file).catch((e) => e);
    expect(err).toBeInstanceOf(ContactsRejectedError);
    expect(err.result.rejected).toEqual([
      { line: 3, reason: '缺少企业微信账号' },
      { line: 4, reason: expect.stringContaining('企业微信账号“b 01”无效') },
      { line: 5, reason: expect.stringContaining('角色“科员”无法识别') },
      { line: 6, reason: 'AB角须填写单位' },
    ]);
    for (const t of ['contacts', 'units', 'supervisions', 'events']) expect(await count(get().db, t)).toBe(0);
    const noHeader = path.join(dir, 'nohead.csv');
    fs.writeFileSync(noHeader, '甲,乙,丙\n1,2,3\n');
    await expect(service().importFile(noHeader)).rejects.toThrow(ContactsFileError);
  });

  it('re-imports without duplicates and makes an unreachable contact reachable again', async () => {
    const s = service();
    await s.importFile(FIX);
    await get().db('contacts').where({ wecom_userid: 'jia01' }).update({ reachable: false, unreachable_reason: '60111' });
    const r = await s.importFile(FIX);
    expect(r).toMatchObject({ contacts: 6, contacts_new: 0, units_new: 0, supervisions_new: 0 });
    expect(await count(get().db, 'contacts')).toBe(6);
    expect((await s.byUserid('jia01'))[0].reachable).toBe(true);
  });
});

describe('cli contacts import', () => {
  it('prints the JSON document, and refuses a bad file with exit 1', () => {
    const dir = tmp();
    const env = { DATABASE_URL: `sqlite:${path.join(dir, 'db.sqlite')}` };
    const ok = runCli(['contacts', 'import', FIX, '--json'], env);
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ rows: 6, contacts: 6, units_new: 4, rejected: [] });
    const bad = path.join(dir, 'bad.csv');
    fs.writeFileSync(bad, '单位,企业微信账号,角色\n甲局,a01,主联系人\n乙局,,主联系人\n');
    const r = runCli(['contacts', 'import', bad, '--json'], env);
    expect(r.status).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual({ rows: 2, contacts: 0, units_new: 0, rejected: [{ line: 3, reason: '缺少企业微信账号' }], contacts_new: 0, supervisions_new: 0 });
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('第 3 行');
    const missing = runCli(['contacts', 'import', path.join(dir, 'nope.csv')], env);
    expect(missing.status).toBe(1);
    expect(missing.stdout).toBe('');
    expect(missing.stderr).toContain('文件不存在');
  }, 60_000);
});
