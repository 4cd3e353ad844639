/**
 * `npm run bench`: performance figures, each next to a baseline measured in the same run.
 *
 * Every measurement runs in a child process of its own (this script with `--child SECTION CASE`),
 * so peak memory (max RSS, sampled peak heap) belongs to that workload alone. Sections are
 * listed in SECTIONS; a section names its cases and which case is the baseline of which.
 * Add a section: a file in bench/sections/ exporting a Section, and one line in SECTIONS.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { importSection } from './sections/import';
import type { Measurement, Section } from './section';

const SECTIONS: Section[] = [importSection];

async function child(sectionName: string, caseName: string, arg: string | undefined): Promise<void> {
  const section = SECTIONS.find((s) => s.name === sectionName);
  const c = section?.cases.find((x) => x.name === caseName);
  if (!section || !c) throw new Error(`unknown case ${sectionName}/${caseName}`);
  let peakHeap = process.memoryUsage().heapUsed;
  const timer = setInterval(() => {
    peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  }, 5);
  const t0 = process.hrtime.bigint();
  const info = await c.run(arg);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  clearInterval(timer);
  peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  const m: Measurement = { ms, maxRssMb: process.resourceUsage().maxRSS / 1024, peakHeapMb: peakHeap / 1024 / 1024, info: info ?? undefined };
  process.stdout.write(`\n@@RESULT ${JSON.stringify(m)}\n`);
}

function measure(section: Section, caseName: string, arg: string): Measurement {
  const tsx = path.resolve(__dirname, '..', 'node_modules', '.bin', 'tsx');
  const r = spawnSync(tsx, [__filename, '--child', section.name, caseName, arg], { encoding: 'utf8', env: { ...process.env, LOG_LEVEL: 'silent' } });
  const line = r.stdout.split('\n').find((l) => l.startsWith('@@RESULT '));
  if (r.status !== 0 || !line) throw new Error(`${section.name}/${caseName} failed:\n${r.stderr}\n${r.stdout}`);
  return JSON.parse(line.slice('@@RESULT '.length));
}

const fmt = (n: number, digits = 0) => n.toFixed(digits);

async function main(): Promise<void> {
  const only = process.argv[2];
  for (const section of SECTIONS) {
    if (only && section.name !== only) continue;
    const arg = await section.prepare();
    console.log(`\n== ${section.name}: ${section.description}`);
    const results = new Map<string, Measurement>();
    for (const c of section.cases) results.set(c.name, measure(section, c.name, arg));
    for (const c of section.cases) {
      const m = results.get(c.name)!;
      const base = c.baseline ? results.get(c.baseline)! : null;
      const ratio = (v: number, b: number | undefined) => (b ? ` (×${fmt(v / b, 1)} baseline)` : '');
      console.log(
        `${c.name.padEnd(28)} time ${fmt(m.ms).padStart(6)} ms${ratio(m.ms, base?.ms)}` +
          `  max RSS ${fmt(m.maxRssMb).padStart(4)} MB${ratio(m.maxRssMb, base?.maxRssMb)}` +
          `  peak heap ${fmt(m.peakHeapMb).padStart(4)} MB${ratio(m.peakHeapMb, base?.peakHeapMb)}` +
          (m.info ? `  ${m.info}` : ''),
      );
      for (const t of c.targets ?? []) {
        const v = t.metric === 'ms' ? m.ms : t.metric === 'maxRssMb' ? m.maxRssMb : m.peakHeapMb;
        console.log(`${''.padEnd(28)} target ${t.metric} < ${t.max}: ${v < t.max ? 'met' : 'NOT MET'}`);
      }
    }
    await section.cleanup?.(arg);
  }
}

if (process.argv[2] === '--child') {
  child(process.argv[3], process.argv[4], process.argv[5]).then(
    () => process.exit(0),
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
} else {
  main().catch((e) => {
    console.error(e);
    process.exitCode = 1;
  });
}
