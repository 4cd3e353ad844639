/**
 * Keeps a WorkCalendar snapshot built from the packaged data plus what the database holds.
 * Changes made through this service rebuild the snapshot at once; changes made by another
 * instance are picked up within `maxAgeMs`.
 */
import type { Clock } from '../../clock';
import { WorkCalendar, CalendarData, CalendarOverride, YearArrangement } from './calendar';
import { packagedCalendar } from './packaged';
import type { CalendarStore } from './store';

export class CalendarService {
  private snapshot: WorkCalendar | null = null;
  private loadedAt = 0;
  private loading: Promise<WorkCalendar> | null = null;

  constructor(
    private readonly store: CalendarStore,
    private readonly clock: Clock,
    private readonly maxAgeMs = 60_000,
    /** The packaged holiday data (tests pin it to fixed years). */
    private readonly packaged: () => CalendarData['packaged'] = packagedCalendar,
  ) {}

  /** The current calendar, reloaded from the store when older than maxAgeMs. */
  async get(): Promise<WorkCalendar> {
    const fresh = this.snapshot && this.clock.now().getTime() - this.loadedAt < this.maxAgeMs;
    if (fresh) return this.snapshot!;
    return this.reload();
  }

  /** The last snapshot, without reloading (for use inside a transaction); null before the first load. */
  peek(): WorkCalendar | null {
    return this.snapshot;
  }

  reload(): Promise<WorkCalendar> {
    // Single flight: concurrent callers share one load.
    this.loading ??= (async () => {
      try {
        const [overrides, arrangements] = await Promise.all([
          this.store.listOverrides(),
          this.store.listArrangements(),
        ]);
        this.snapshot = new WorkCalendar({ packaged: this.packaged(), overrides, arrangements });
        this.loadedAt = this.clock.now().getTime();
        return this.snapshot;
      } finally {
        this.loading = null;
      }
    })();
    return this.loading;
  }

  async setOverride(o: CalendarOverride, actor: string): Promise<WorkCalendar> {
    await this.store.setOverride(o, actor, this.clock.now());
    return this.reload();
  }

  async removeOverride(date: string, actor: string): Promise<boolean> {
    const removed = await this.store.removeOverride(date, actor, this.clock.now());
    await this.reload();
    return removed;
  }

  async loadArrangement(a: YearArrangement, source: string, actor: string): Promise<WorkCalendar> {
    await this.store.saveArrangement(a, source, actor, this.clock.now());
    return this.reload();
  }
}
