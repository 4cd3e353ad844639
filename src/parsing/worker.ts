/**
 * The parse worker's entry: runs one parser of ./parsers.ts on the message it is given and
 * posts back its result, or its error as { name, message } (the caller rebuilds the error).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { PARSERS, type ParseInput, type ParserName } from './parsers';

export interface WorkerRequest {
  parser: ParserName;
  input: ParseInput<unknown>;
}

export type WorkerReply = { ok: true; result: unknown } | { ok: false; error: { name: string; message: string } };

async function run(request: WorkerRequest): Promise<WorkerReply> {
  try {
    const parse = PARSERS[request.parser] as (input: ParseInput<unknown>) => Promise<unknown>;
    if (!parse) throw new Error(`unknown parser ${String(request.parser)}`);
    return { ok: true, result: await parse(request.input) };
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    return { ok: false, error: { name: err.name, message: err.message } };
  }
}

if (parentPort && workerData?.rectifyParseWorker) {
  const port = parentPort;
  port.once('message', (request: WorkerRequest) => {
    void run(request).then((reply) => port.postMessage(reply));
  });
}
