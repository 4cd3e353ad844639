import { describeEachDb } from '../support/db';
import { ManualClock } from '../../src/clock';
import { KnexEventLog } from '../../src/domain/events/events';
import { KnexCalendarStore } from '../../src/domain/calendar/store';
import { CalendarService } from '../../src/domain/calendar/service';
import { parseArrangementFile } from '../../src/domain/calendar/arrangement';

describeEachDb('calendar overrides and loaded arrangements', (get) => {
  const setup = (maxAgeMs = 60_000) => {
    const clock = new ManualClock('2026-11-23T02:00:00Z');
    const events = new KnexEventLog(get().db);
    const store = new KnexCalendarStore(get().db, events);
    return { clock, events, store, service: new CalendarService(store, clock, maxAgeMs) };
  };

  it('stores an override, applies it at once, and logs who set it', async () => {
    const { service, events } = setup();
    expect((await service.get()).isWorkday('2026-11-28')).toBe(false);
    const cal = await service.setOverride({ date: '2026-11-28', workday: true, reason: '补班' }, 'admin:li');
    expect(cal.day('2026-11-28')).toMatchObject({ workday: true, type: 'makeup', source: 'override' });
    const [event] = await events.list({ type: 'calendar.override_set' });
    expect(event).toMatchObject({ actor: 'admin:li', data: { date: '2026-11-28', workday: true, reason: '补班' } });
    // Setting it again replaces it.
    await service.setOverride({ date: '2026-11-28', workday: false, reason: '取消补班' }, 'admin:li');
    expect((await service.get()).isWorkday('2026-11-28')).toBe(false);
    expect(await service.removeOverride('2026-11-28', 'admin:li')).toBe(true);
    expect(await service.removeOverride('2026-11-28', 'admin:li')).toBe(false);
    expect((await service.get()).day('2026-11-28').source).toBe('package');
  });

  it('loads a year, replaces it on a second load, and survives a restart', async () => {
    const { service, store, clock } = setup();
    await expect(service.get().then((c) => c.day('2028-01-04'))).rejects.toThrow('2028年节假日安排未配置');
    expect((await service.get()).day('2027-01-04').source).toBe('provisional');
    const first = parseArrangementFile(
      JSON.stringify({ year: 2027, days: [{ name: '元旦', date: '2027-01-01', isOffDay: true }, { name: '春节', date: '2027-02-06', isOffDay: false }] }),
    );
    await service.loadArrangement(first, '2027.json', 'cli');
    expect((await service.get()).isWorkday('2027-02-06')).toBe(true);
    const second = parseArrangementFile(JSON.stringify({ year: 2027, days: [{ name: '元旦', date: '2027-01-01', isOffDay: true }] }));
    await service.loadArrangement(second, '2027-v2.json', 'cli');
    const restarted = new CalendarService(store, clock);
    const cal = await restarted.get();
    expect(cal.isWorkday('2027-02-06')).toBe(false);
    expect(cal.isWorkday('2027-01-01')).toBe(false);
    expect(cal.coveredYears()).toContain(2027);
    expect(cal.day('2027-01-04').source).toBe('arrangement');
    expect(cal.day('2028-01-04').source).toBe('provisional');
  });

  it("sees another instance's change once its snapshot is older than maxAge", async () => {
    const a = setup(1000);
    const b = new CalendarService(a.store, a.clock, 1000);
    expect((await b.get()).isWorkday('2026-11-30')).toBe(true);
    await a.service.setOverride({ date: '2026-11-30', workday: false, reason: '停电' }, 'admin');
    expect((await b.get()).isWorkday('2026-11-30')).toBe(true); // still the old snapshot
    a.clock.advance(1001);
    expect((await b.get()).isWorkday('2026-11-30')).toBe(false);
  });
});
