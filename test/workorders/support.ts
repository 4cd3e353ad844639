/** A test world for the order API: the admin server with a fake WeCom, a notice, and unit contacts. */
import path from 'node:path';
import { ROOT } from '../support/spawn';
import { createWecomTransport, type WecomTransport } from '../../src/app/transport';
import type { FakeMessage } from '../../src/simulator/fake-wecom';
import { CORP, startFake, type RunningFake } from '../wecom/support';
import { Client, fileForm, signedIn, startAdminServer, TOKEN, type AdminServer } from '../admin/support';

const NOTICE = path.join(ROOT, 'test', 'fixtures', 'import', 'xianning-2022q4-newmedia.csv');
const CONTACTS = [
  '单位,企业微信账号,姓名,角色,主管单位',
  '咸宁市交通运输局,jt01,贾通,主联系人,',
  '咸宁市公安局,ga01,郭安,主联系人,',
  '咸宁市市场监督管理局,sj01,石检,主联系人,',
  '咸宁市城市管理执法委员会,cg01,程管,主联系人,',
].join('\n');

export interface World {
  s: AdminServer;
  admin: Client;
  fake: RunningFake;
  wecom: WecomTransport;
  /** Order id by its unit's name. */
  orderOf(unit: string): Promise<number>;
  unitId(name: string): Promise<number>;
  /** Notifies an order with the due instant given. */
  notify(id: number, due: string): Promise<void>;
  /** Delivers every queued message to the fake WeCom. */
  deliver(): Promise<void>;
  received(userid: string): string[];
  /** A supervisor signed in whose contact supervises these units. */
  supervisor(username: string, units: string[]): Promise<Client>;
}

export async function startWorld(db: Parameters<typeof startAdminServer>[0]): Promise<World> {
  const fake = await startFake();
  const s = await startAdminServer(db, {}, {
    WECOM_CORP_ID: CORP.corpId,
    WECOM_AGENT_ID: String(CORP.agentId),
    WECOM_SECRET: CORP.secret,
    WECOM_TOKEN: 'actionstoken',
    WECOM_ENCODING_AES_KEY: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C',
    WECOM_API_BASE: fake.url,
    WECOM_CARDS: 'false',
  });
  const wecom = createWecomTransport(s.ctx);
  const admin = await signedIn(s, 'amy', 'admin');
  const token = new Client(s.base, TOKEN);
  const p = await token.post('/notices/uploads', fileForm(NOTICE, { doc_no: '咸政网办〔2026〕5号', issued_on: '2026-11-20' }));
  expect(p.status).toBe(200);
  expect((await token.post(`/notices/uploads/${p.body.upload_id}/confirm`, { doc_no: '咸政网办〔2026〕5号', issued_on: '2026-11-20' })).status).toBe(200);
  expect((await token.post('/contacts/import', fileForm({ name: 'c.csv', content: CONTACTS }))).status).toBe(200);
  await s.ctx.calendar.reload();
  const unitId = async (name: string) => Number((await s.ctx.db('units').where({ name }).first()).id);
  return {
    s,
    admin,
    fake,
    wecom,
    unitId,
    async orderOf(unit) {
      return Number((await s.ctx.db('work_orders').where({ unit_id: await unitId(unit) }).first()).id);
    },
    async notify(id, due) {
      await s.ctx.workOrders.transition(id, 'notify', { actor: 'system', at: s.clock.now(), dueAt: new Date(due) });
    },
    async deliver() {
      for (let i = 0; i < 20; i++) {
        const outcomes = await wecom.sender.runOnce();
        if (!outcomes.some((o) => o === 'sent' || o === 'retry')) break;
      }
    },
    received(userid) {
      return fake.fake.messagesFor(userid).map((m: FakeMessage) => String(m.body.content ?? ''));
    },
    async supervisor(username, units) {
      const c = (await admin.post('/contacts', { wecom_userid: username, name: `督办${username}`, role: 'supervisor' })).body;
      for (const u of units) expect((await admin.post('/supervisions', { contact_id: c.id, unit_id: await unitId(u) })).status).toBe(200);
      return signedIn(s, username, 'supervisor', { contactId: c.id });
    },
  };
}

export async function stopWorld(w: World | undefined): Promise<void> {
  if (!w) return;
  await w.wecom.stop();
  await w.s.close();
  await w.fake.close();
}

