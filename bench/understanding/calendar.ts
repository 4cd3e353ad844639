/** The packaged working-day calendar (chinese-days), as the service has it before any override. */
import { WorkCalendar } from '../../src/domain/calendar/calendar';
import { packagedCalendar } from '../../src/domain/calendar/packaged';

export function packagedWorkCalendar(): WorkCalendar {
  return new WorkCalendar({ packaged: packagedCalendar(), arrangements: [], overrides: [] });
}
