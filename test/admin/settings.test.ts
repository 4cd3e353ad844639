/** The follow-up settings through the admin API: read, change, refuse bad values, roles, reset. */
import { describeEachDb } from '../support/db';
import { signedIn, startAdminServer, type AdminServer, type Client } from './support';

describeEachDb('admin API: follow-up settings', (get) => {
  let s: AdminServer;
  let admin: Client;
  beforeEach(async () => {
    s = await startAdminServer(get(), {}, { QUIET_HOURS: '08:30-18:00', ESCALATION_LADDER: 'primary:0,backup:1,leader:2,supervisor:3' });
    admin = await signedIn(s, 'amy', 'admin');
  });
  afterEach(() => s.close());

  it('starts from the configuration, changes the ladder and reminders, and logs who did it', async () => {
    const first = (await admin.get('/settings/followup')).body;
    expect(first).toMatchObject({
      ladder_text: 'primary:0,backup:1,leader:2,supervisor:3',
      reminder_morning: '09:00',
      reminder_before_minutes: 120,
      quiet_hours: '08:30-18:00',
      quiet_allow: ['reply', 'card_update'],
    });
    expect(first.roles.leader).toBe('分管领导');

    const put = await admin.put('/settings/followup', {
      ladder: [
        { role: 'primary', after_working_days: 0 },
        { role: 'leader', after_working_days: 2 },
      ],
      reminder_before_minutes: null,
    });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ ladder_text: 'primary:0,leader:2', reminder_before_minutes: null, reminder_morning: '09:00' });
    // The services use it at once.
    const now = await s.ctx.settings.get();
    expect(now.ladder.map((l) => l.role)).toEqual(['primary', 'leader']);
    expect(now.reminderBeforeMinutes).toBeNull();
    const [ev] = await s.ctx.db('events').where({ type: 'settings.changed' });
    expect(ev.actor).toBe('admin:amy');

    expect((await admin.post('/settings/followup/reset')).body.ladder_text).toBe('primary:0,backup:1,leader:2,supervisor:3');
  });

  it('refuses a ladder that goes down, unknown roles and purposes, and bad hours, in Chinese, changing nothing', async () => {
    const down = await admin.put('/settings/followup', { ladder: [{ role: 'primary', after_working_days: 2 }, { role: 'backup', after_working_days: 1 }] });
    expect(down.status).toBe(400);
    expect(down.body.message).toContain('逐级不减');
    const role = await admin.put('/settings/followup', { ladder: [{ role: 'boss', after_working_days: 0 }] });
    expect(role.status).toBe(400);
    expect(JSON.stringify(role.body)).toContain('角色须为');
    const hours = await admin.put('/settings/followup', { quiet_hours: '18:00-08:30' });
    expect(hours.status).toBe(400);
    expect(JSON.stringify(hours.body)).toContain('开始早于结束');
    const purpose = await admin.put('/settings/followup', { quiet_allow: ['everything'] });
    expect(purpose.status).toBe(400);
    expect(JSON.stringify(purpose.body)).toContain('未知的消息用途');
    expect((await admin.get('/settings/followup')).body.ladder_text).toBe('primary:0,backup:1,leader:2,supervisor:3');
    expect(Number((await s.ctx.db('settings').count({ n: '*' }))[0].n)).toBe(0);
  });

  it('lets supervisors read but not change', async () => {
    const sup = await signedIn(s, 'sam', 'supervisor');
    expect((await sup.get('/settings/followup')).status).toBe(200);
    expect((await sup.put('/settings/followup', { reminder_morning: '10:00' })).status).toBe(403);
  });
});
