/**
 * `npm run bench`: performance figures, each next to a baseline measured in the same run.
 *
 * Every measurement runs in a child process of its own (this script with `--child SECTION CASE`),
 * so peak memory (max RSS, sampled peak heap) belongs to that workload alone. Sections are
 * listed in SECTIONS; a section names its cases and which case is the baseline of which.
 * Add a section: a file in bench/sections/ exporting a Section, and one line in SECTIONS.
 *
 * `npm run bench -- NAME` runs one section. It is a report: a target NOT MET fails nothing,
 * but a case that crashes (or outlives CASE_TIMEOUT_MS) makes the exit status 1.
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import type { BenchCase, CaseResult, Measurement, Section, Target } from './section';

/**
 * The sections by name, each loaded only when it runs: a case's child process loads its own
 * section's modules and no other's, so its memory figures are not raised by code it never runs.
 */
const SECTIONS: Record<string, () => Promise<Section>> = {
  import: async () => (await import('./sections/import')).importSection,
  'notice-pdf': async () => (await import('./sections/notice-pdf')).noticePdfSection,
  callback: async () => (await import('./sections/callback')).callbackSection,
  sweep: async () => (await import('./sections/sweep')).sweepSection,
  outbox: async () => (await import('./sections/outbox')).outboxSection,
  recheck: async () => (await import('./sections/recheck')).recheckSection,
  signin: async () => (await import('./sections/signin')).signinSection,
  understanding: async () => (await import('./sections/understanding')).understandingSection,
};

/** No single case may run longer than this (the whole bench is meant to stay near 5 minutes). */
const CASE_TIMEOUT_MS = 180_000;

async function child(sectionName: string, caseName: string, arg: string | undefined): Promise<void> {
  const section = SECTIONS[sectionName] ? await SECTIONS[sectionName]() : undefined;
  if (section && section.name !== sectionName) throw new Error(`section ${sectionName} is named ${section.name}`);
  const c = section?.cases.find((x) => x.name === caseName);
  if (!section || !c) throw new Error(`unknown case ${sectionName}/${caseName}`);
  // v8's heap statistics, not process.memoryUsage(): that one also reads the RSS from /proc, which
  // every 5 ms cost the measured process 1–2% of its CPU.
  const heapUsed = () => v8.getHeapStatistics().used_heap_size;
  let peakHeap = heapUsed();
  const timer = setInterval(() => {
    peakHeap = Math.max(peakHeap, heapUsed());
  }, 5);
  const t0 = process.hrtime.bigint();
  const out = await c.run(arg);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  clearInterval(timer);
  peakHeap = Math.max(peakHeap, heapUsed());
  const r: CaseResult = typeof out === 'string' ? { info: out } : (out ?? {});
  const m: Measurement = {
    ms: r.ms ?? ms,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
    peakHeapMb: peakHeap / 1024 / 1024,
    info: r.info || undefined,
    figures: r.figures,
  };
  process.stdout.write(`\n@@RESULT ${JSON.stringify(m)}\n`);
}

function measure(section: Section, caseName: string, arg: string): Measurement {
  const tsx = path.resolve(__dirname, '..', 'node_modules', '.bin', 'tsx');
  const r = spawnSync(tsx, [__filename, '--child', section.name, caseName, arg], {
    encoding: 'utf8',
    env: { ...process.env, LOG_LEVEL: 'silent' },
    timeout: CASE_TIMEOUT_MS,
    killSignal: 'SIGKILL',
    maxBuffer: 16 * 1024 * 1024,
  });
  const line = r.stdout?.split('\n').find((l) => l.startsWith('@@RESULT '));
  if (r.status !== 0 || !line) {
    const why = r.error ? `${r.error.message}` : r.signal ? `killed by ${r.signal}` : `exit status ${r.status}`;
    throw new Error(`${section.name}/${caseName} failed (${why}):\n${r.stderr ?? ''}\n${r.stdout ?? ''}`.trimEnd());
  }
  return JSON.parse(line.slice('@@RESULT '.length));
}

const fmt = (n: number, digits = 0) => n.toFixed(digits);
const PAD = 30;

function metricValue(m: Measurement, metric: string): number | undefined {
  if (metric === 'ms') return m.ms;
  if (metric === 'maxRssMb') return m.maxRssMb;
  if (metric === 'peakHeapMb') return m.peakHeapMb;
  return m.figures?.[metric]?.value;
}

function targetLine(t: Target, m: Measurement, base: Measurement | null): string {
  const v = metricValue(m, t.metric);
  const unit = m.figures?.[t.metric]?.unit ?? (t.metric === 'ms' ? 'ms' : 'MB');
  const checks: string[] = [];
  let met = v !== undefined;
  if (t.max !== undefined) {
    checks.push(`< ${t.max} ${unit}`);
    met &&= v! < t.max;
  }
  if (t.atMost !== undefined) {
    checks.push(`≤ ${t.atMost} ${unit}`);
    met &&= v! <= t.atMost;
  }
  if (t.min !== undefined) {
    checks.push(`≥ ${t.min} ${unit}`);
    met &&= v! >= t.min;
  }
  let shown = v === undefined ? 'no value' : `${fmt(v, v < 100 ? 1 : 0)} ${unit}`;
  if (t.minRatio !== undefined) {
    const b = base ? metricValue(base, t.metric) : undefined;
    checks.push(`≥ ${fmt(t.minRatio * 100)}% of baseline`);
    if (v === undefined || !b) met = false;
    else {
      met &&= v / b >= t.minRatio;
      shown += `, ${fmt((v / b) * 100)}% of baseline`;
    }
  }
  return `${''.padEnd(PAD)} target ${t.metric} ${checks.join(' and ')}: ${met ? 'met' : 'NOT MET'} (${shown})`;
}

function report(c: BenchCase, m: Measurement, base: Measurement | null): void {
  const ratio = (v: number, b: number | undefined) => (b ? ` (×${fmt(v / b, 1)} baseline)` : '');
  console.log(
    `${c.name.padEnd(PAD)} time ${fmt(m.ms).padStart(6)} ms${ratio(m.ms, base?.ms)}` +
      `  max RSS ${fmt(m.maxRssMb).padStart(4)} MB${ratio(m.maxRssMb, base?.maxRssMb)}` +
      `  peak heap ${fmt(m.peakHeapMb).padStart(4)} MB${ratio(m.peakHeapMb, base?.peakHeapMb)}` +
      (m.info && !m.figures ? `  ${m.info}` : ''),
  );
  if (m.figures) {
    const parts = Object.entries(m.figures).map(
      ([name, f]) => `${name} ${fmt(f.value, f.digits ?? 0)} ${f.unit}${ratio(f.value, base?.figures?.[name]?.value)}`,
    );
    console.log(`${''.padEnd(PAD)} ${parts.join('  ')}`);
    if (m.info) for (const line of m.info.split('\n')) console.log(`${''.padEnd(PAD)} ${line}`);
  }
  for (const t of c.targets ?? []) console.log(targetLine(t, m, base));
}

async function main(): Promise<void> {
  const only = process.argv[2];
  if (only && !(only in SECTIONS)) {
    throw new Error(`unknown section "${only}"; sections: ${Object.keys(SECTIONS).join(', ')}`);
  }
  let crashed = 0;
  const load = () => os.loadavg().map((l) => l.toFixed(1)).join(' ');
  console.log(`${new Date().toISOString()}  ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), Node ${process.version}`);
  for (const [name, loadSection] of Object.entries(SECTIONS)) {
    if (only && name !== only) continue;
    const section = await loadSection();
    console.log(`\n== ${section.name}: ${section.description}`);
    // Other work on the machine shows in the figures; say how busy it was.
    console.log(`(load average ${load()})`);
    let arg: string;
    try {
      arg = await section.prepare();
    } catch (e) {
      crashed += 1;
      console.log(`prepare CRASHED: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      continue;
    }
    try {
      const results = new Map<string, Measurement>();
      for (const c of section.cases) {
        const skip = c.skip?.() ?? null;
        if (skip) {
          console.log(`${c.name.padEnd(PAD)} skipped: ${skip}`);
          continue;
        }
        try {
          const m = measure(section, c.name, arg);
          results.set(c.name, m);
          report(c, m, c.baseline ? (results.get(c.baseline) ?? null) : null);
        } catch (e) {
          crashed += 1;
          console.log(`${c.name.padEnd(PAD)} CRASHED: ${e instanceof Error ? e.message : String(e)}`);
        }
      }
    } finally {
      await section.cleanup?.(arg);
    }
  }
  if (crashed) {
    console.log(`\n${crashed} case(s) crashed`);
    process.exitCode = 1;
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
