/** Tuning aid: the dev corpus's score and misses (never the held-out part). */
import { loadCorpus, score } from './corpus';
import { packagedWorkCalendar } from './calendar';

const s = score(loadCorpus('dev'), packagedWorkCalendar());
console.log(`intent ${(s.intentAccuracy * 100).toFixed(1)}% dates ${s.dates.exact}/${s.dates.n} unsafe ${s.unsafeDone}`);
console.log(s.misses.join('\n'));
