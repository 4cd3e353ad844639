/** What a benchmark section is: cases run one per child process, some measured against a baseline case. */
export interface Measurement {
  ms: number;
  maxRssMb: number;
  peakHeapMb: number;
  /** A short note printed after the figures (e.g. counts, to show the work was done). */
  info?: string;
}

export interface Target {
  metric: 'ms' | 'maxRssMb' | 'peakHeapMb';
  max: number;
}

export interface BenchCase {
  name: string;
  /** The case this one is compared with (ratio printed next to each figure). */
  baseline?: string;
  targets?: Target[];
  /** Runs in a child process; `arg` is what prepare() returned. Returns an optional note. */
  run(arg: string | undefined): Promise<string | void>;
}

export interface Section {
  name: string;
  description: string;
  /** Runs once in the parent (generate input files…); its result is passed to each case. */
  prepare(): Promise<string>;
  cleanup?(arg: string): Promise<void>;
  cases: BenchCase[];
}
