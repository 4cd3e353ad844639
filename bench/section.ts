/** What a benchmark section is: cases run one per child process, some measured against a baseline case. */

/** A figure a case measures itself (throughput, a latency percentile…), printed with its unit. */
export interface Figure {
  value: number;
  unit: string;
  /** Decimal places when printed (default 0). */
  digits?: number;
}

/** What a case's run() may return besides a plain note. */
export interface CaseResult {
  /** A short note printed after the figures (e.g. counts, to show the work was done). */
  info?: string;
  /**
   * The duration of the measured part, when the case has setup that must not count (generating
   * a million rows before timing the sweep). Default: the whole run of the child process.
   */
  ms?: number;
  /** Named figures; each is compared with the baseline case's figure of the same name. */
  figures?: Record<string, Figure>;
}

export interface Measurement {
  ms: number;
  maxRssMb: number;
  peakHeapMb: number;
  info?: string;
  figures?: Record<string, Figure>;
}

export interface Target {
  /** 'ms', 'maxRssMb', 'peakHeapMb', or the name of one of the case's figures. */
  metric: string;
  /** The value must be below this. */
  max?: number;
  /** The value must not exceed this. */
  atMost?: number;
  /** The value must be at least this. */
  min?: number;
  /** The value must be at least this fraction of the baseline case's same metric. */
  minRatio?: number;
}

export interface BenchCase {
  name: string;
  /** The case this one is compared with (ratio printed next to each figure). */
  baseline?: string;
  targets?: Target[];
  /** Why this case cannot run here (e.g. no PostgreSQL configured), or null to run it. */
  skip?(): string | null;
  /** Runs in a child process; `arg` is what prepare() returned. Returns an optional note or a CaseResult. */
  run(arg: string | undefined): Promise<string | CaseResult | void>;
}

export interface Section {
  name: string;
  description: string;
  /** Runs once in the parent (generate input files…); its result is passed to each case. */
  prepare(): Promise<string>;
  cleanup?(arg: string): Promise<void>;
  cases: BenchCase[];
}
