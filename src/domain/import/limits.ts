/**
 * Bounds on what an input file may cost before and while it is read: its unpacked size (an
 * XLSX is a zip, and 1 MB of zip can hold gigabytes of XML), its number of zip entries and its
 * number of rows. The zip's sizes are checked from its central directory, then by inflating
 * every entry without keeping it (a zip may state a smaller size than it holds; yauzl stops at
 * the first byte beyond the stated size), before any parser sees the file.
 */
import fs from 'node:fs';
import yauzl from 'yauzl';
import { InputFormatError } from './errors';

export interface InputLimits {
  /** An XLSX's total unpacked size, or a CSV/JSON file's size, in bytes. */
  maxUnpackedBytes: number;
  /** Rows read from the file (all sheets together), header and title rows included. */
  maxRows: number;
}

export const DEFAULT_INPUT_LIMITS: InputLimits = {
  maxUnpackedBytes: 100 * 1024 * 1024,
  maxRows: 100_000,
};

/** No spreadsheet has this many parts; a zip with more is no workbook. */
const MAX_ZIP_ENTRIES = 10_000;

const mb = (n: number) => `${Math.ceil(n / (1024 * 1024))} MB`;

function tooBig(unpacked: number, limit: number): InputFormatError {
  return new InputFormatError(
    `Excel 文件解压后超过 ${mb(limit)}（至少 ${mb(unpacked)}），拒绝读取：文件可能已损坏或被恶意构造；` +
      '如确为正常表格，请删除多余的工作表、图片和空白行后另存，或分批导入',
  );
}

function openZip(file: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) =>
    yauzl.open(file, { lazyEntries: true, autoClose: false, validateEntrySizes: true, strictFileNames: false }, (err, zip) =>
      err || !zip ? reject(err ?? new Error('no zip')) : resolve(zip),
    ),
  );
}

function entries(zip: yauzl.ZipFile): AsyncIterable<yauzl.Entry> {
  return {
    [Symbol.asyncIterator]() {
      return {
        next: () =>
          new Promise<IteratorResult<yauzl.Entry>>((resolve, reject) => {
            const onEntry = (entry: yauzl.Entry) => done(() => resolve({ value: entry, done: false }));
            const onEnd = () => done(() => resolve({ value: undefined, done: true }));
            const onError = (e: Error) => done(() => reject(e));
            const done = (then: () => void) => {
              zip.off('entry', onEntry).off('end', onEnd).off('error', onError);
              then();
            };
            zip.on('entry', onEntry).on('end', onEnd).on('error', onError);
            zip.readEntry();
          }),
      };
    },
  };
}

function drain(zip: yauzl.ZipFile, entry: yauzl.Entry, onData?: (chunk: Buffer) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    zip.openReadStream(entry, (err, stream) => {
      if (err || !stream) return reject(err ?? new Error('no stream'));
      stream.on('error', reject).on('end', resolve);
      if (onData) stream.on('data', onData);
      else stream.resume();
    });
  });
}

/** A worksheet part, numbered as exceljs numbers the sheets it streams (by the part's name). */
export const WORKSHEET_PART = /xl\/worksheets\/sheet(\d+)[.]xml/;

/** A merged range's reference (`<mergeCell ref="A1:C2"/>`, namespace prefix or not). */
const MERGE_CELL = /<(?:[A-Za-z_][\w.-]*:)?mergeCell\b[^>]*?\bref="([A-Za-z]{1,3}\d{1,7}(?::[A-Za-z]{1,3}\d{1,7})?)"/g;
/** Longer than any mergeCell tag: what is kept of a chunk for a tag cut at its end. */
const MERGE_TAIL = 512;

/**
 * Collects the mergeCell references of a worksheet part as its bytes go by, keeping only them
 * (and a short tail of the last chunk): the part itself is never held.
 */
function mergeScanner(into: string[]): (chunk: Buffer) => void {
  let tail = '';
  return (chunk) => {
    // The tags and references are ASCII: latin1 decodes them whatever the text around them.
    const text = tail + chunk.toString('latin1');
    let end = 0;
    MERGE_CELL.lastIndex = 0;
    for (let m = MERGE_CELL.exec(text); m; m = MERGE_CELL.exec(text)) {
      into.push(m[1].toUpperCase());
      end = MERGE_CELL.lastIndex;
    }
    tail = text.slice(Math.max(end, text.length - MERGE_TAIL));
  };
}

/** What the check learnt on its way through the parts. */
export interface ZipSummary {
  /** The merged ranges ("A1:C2") of each worksheet part, by its sheet number (see WORKSHEET_PART). */
  mergeCells: Map<number, string[]>;
}

/**
 * Refuses an XLSX whose parts unpack to more than the limit (stated or actual), has too many
 * parts, or is no readable zip. Reads the file as a stream: memory stays small whatever it holds.
 * On the way, notes each worksheet's merged ranges (they come after its rows, so a reader that
 * streams the rows needs them first).
 */
export async function checkZipLimits(file: string, limits: InputLimits): Promise<ZipSummary> {
  const summary: ZipSummary = { mergeCells: new Map() };
  let zip: yauzl.ZipFile;
  try {
    zip = await openZip(file);
  } catch (e) {
    throw new InputFormatError(`无法读取 Excel 文件（文件损坏或不是 .xlsx）：${(e as Error).message}`);
  }
  try {
    const all: yauzl.Entry[] = [];
    let stated = 0;
    for await (const entry of entries(zip)) {
      all.push(entry);
      stated += entry.uncompressedSize;
      if (all.length > MAX_ZIP_ENTRIES) throw new InputFormatError(`Excel 文件包含的部件超过 ${MAX_ZIP_ENTRIES} 个，拒绝读取：文件可能已损坏或被恶意构造`);
      if (stated > limits.maxUnpackedBytes) throw tooBig(stated, limits.maxUnpackedBytes);
    }
    for (const entry of all) {
      if (entry.fileName.endsWith('/')) continue;
      const sheet = WORKSHEET_PART.exec(entry.fileName);
      let onData: ((chunk: Buffer) => void) | undefined;
      if (sheet) {
        const refs: string[] = [];
        summary.mergeCells.set(Number(sheet[1]), refs);
        onData = mergeScanner(refs);
      }
      try {
        await drain(zip, entry, onData);
      } catch (e) {
        if (/too many bytes/i.test((e as Error).message)) throw tooBig(stated + 1, limits.maxUnpackedBytes);
        throw e;
      }
    }
  } catch (e) {
    if (e instanceof InputFormatError) throw e;
    throw new InputFormatError(`无法读取 Excel 文件（文件损坏或不是 .xlsx）：${(e as Error).message}`);
  } finally {
    zip.close();
  }
  return summary;
}

/** A CSV or JSON file over the size limit is refused before it is read. */
export async function checkFileSize(file: string, limits: InputLimits): Promise<void> {
  const { size } = await fs.promises.stat(file);
  if (size > limits.maxUnpackedBytes) {
    throw new InputFormatError(`文件大小 ${mb(size)} 超过上限 ${mb(limits.maxUnpackedBytes)}，拒绝读取：请拆分后分批导入`);
  }
}

/** Passes rows through, refusing the file at the first row beyond the limit. */
export async function* limitRows<T>(rows: AsyncIterable<T>, maxRows: number): AsyncGenerator<T> {
  let n = 0;
  for await (const row of rows) {
    if (++n > maxRows) throw new InputFormatError(`表格超过 ${maxRows.toLocaleString('en')} 行的上限，拒绝导入：请拆分后分批导入`);
    yield row;
  }
}
