/**
 * Parsing an uploaded or imported file in a worker thread of its own, with a heap limit and a
 * time limit: a file that would need gigabytes (a zip bomb, a pathological table) fails alone,
 * with a clear Chinese message, while the service keeps answering callbacks and running its jobs.
 *
 * The worker runs the same TypeScript the caller runs: compiled JavaScript from dist/, or the
 * sources through tsx's require hook (under `npm start`, `npm run cli` and jest).
 */
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { ContactsFileError } from '../domain/contacts/parse';
import { InputFormatError } from '../domain/import/errors';
import { HeaderMapError } from '../domain/import/headers';
import type { ParseInput, ParserName, ParserOptions, ParserResult } from './parsers';
import type { WorkerReply, WorkerRequest } from './worker';

export interface IsolationLimits {
  /** The worker's old-generation heap, in MB. */
  maxHeapMb: number;
  /** How long a parse may take, in ms. */
  timeoutMs: number;
}

const WORKER_YOUNG_GENERATION_MB = 4;

export const DEFAULT_ISOLATION: IsolationLimits = { maxHeapMb: 512, timeoutMs: 120_000 };

/** Errors a parser throws on purpose, rebuilt by name on this side so callers can tell them apart. */
const KNOWN_ERRORS: Record<string, (message: string) => Error> = {
  InputFormatError: (m) => new InputFormatError(m),
  EncodingError: (m) => new InputFormatError(m),
  ContactsFileError: (m) => new ContactsFileError(m),
  HeaderMapError: (m) => new HeaderMapError(m),
};

function startWorker(limits: IsolationLimits): Worker {
  const ext = path.extname(__filename);
  const entry = path.join(__dirname, `worker${ext}`);
  const options = {
    workerData: { rectifyParseWorker: true },
    // A small young generation: parsing makes many short-lived objects, and V8's default
    // semi-spaces (16 MB each) kept ~40 MB more resident for a 10,000-row XLSX at no gain in time.
    resourceLimits: { maxOldGenerationSizeMb: limits.maxHeapMb, maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB },
    stdout: false,
    stderr: false,
  };
  if (ext === '.js') return new Worker(entry, options);
  // Sources: load them through tsx (a dev dependency, present wherever .ts files are run).
  // Resolved here, so the worker finds tsx whatever the working directory.
  const tsx = require.resolve('tsx/cjs/api');
  return new Worker(`require(${JSON.stringify(tsx)}).register(); require(${JSON.stringify(entry)});`, { ...options, eval: true, execArgv: [] });
}

/**
 * Runs a parser of ./parsers.ts in a worker of its own and returns its result, or throws its
 * error. Each file gets a fresh worker, ended before the result is handed over: nothing of one
 * file stays for the next, and the parse's memory is given back before the caller goes on to
 * write (a worker kept for reuse held ~30 MB of garbage through the import's writes).
 */
export function parseIsolated<N extends ParserName>(
  parser: N,
  input: ParseInput<ParserOptions<N>>,
  limits: IsolationLimits = DEFAULT_ISOLATION,
): Promise<ParserResult<N>> {
  return new Promise((resolve, reject) => {
    const worker = startWorker(limits);
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      worker.off('message', onMessage).off('error', onError).off('exit', onExit);
      worker.on('error', () => undefined);
      void worker.terminate().then(fn, fn);
    };
    const timer = setTimeout(
      () => finish(() => reject(new InputFormatError(`文件解析超过 ${Math.max(1, Math.round(limits.timeoutMs / 1000))} 秒仍未完成，已中止：文件可能过大或已损坏，未导入任何数据`))),
      limits.timeoutMs,
    );
    const onMessage = (reply: WorkerReply) =>
      finish(() => {
        if (reply.ok) resolve(reply.result as ParserResult<N>);
        else reject((KNOWN_ERRORS[reply.error.name] ?? ((m: string) => Object.assign(new Error(m), { name: reply.error.name })))(reply.error.message));
      });
    const onError = (e: Error & { code?: string }) =>
      finish(() =>
        reject(
          e.code === 'ERR_WORKER_OUT_OF_MEMORY'
            ? new InputFormatError(`解析此文件所需内存超过上限（${limits.maxHeapMb} MB），已中止：文件可能过大、已损坏或被恶意构造，未导入任何数据`)
            : e,
        ),
      );
    const onExit = (code: number) => finish(() => reject(new Error(`parse worker exited with code ${code} before answering`)));
    worker.on('message', onMessage).on('error', onError).on('exit', onExit);
    const request: WorkerRequest = { parser, input: input };
    worker.postMessage(request);
  });
}
