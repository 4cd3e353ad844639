/**
 * File format and text encoding detection from the bytes, never from the file name.
 *
 * Notice tables come as UTF-8 (with or without BOM), GB18030/GBK (Excel's "CSV" on a Chinese
 * Windows), occasionally UTF-16 (Excel's "Unicode text"). Statistical detectors misread short
 * Chinese text, so the rule is: BOM first, then a strict UTF-8 validity check of a sample, and
 * GB18030 (a superset of GBK and GB2312) for anything that is not valid UTF-8.
 */
import { Transform, type TransformCallback } from 'node:stream';
import iconv from 'iconv-lite';

export type TextEncoding = 'utf-8' | 'utf-8-bom' | 'utf-16le' | 'utf-16be' | 'gb18030';
export type FileFormat = 'csv' | 'xlsx' | 'json' | 'xls';

export const ENCODING_LABELS: Record<TextEncoding, string> = {
  'utf-8': 'UTF-8',
  'utf-8-bom': 'UTF-8（带 BOM）',
  'utf-16le': 'UTF-16LE',
  'utf-16be': 'UTF-16BE',
  gb18030: 'GB18030/GBK',
};

/** Number of bytes at the end of `buf` that form an incomplete UTF-8 sequence (0–3). */
function incompleteUtf8Tail(buf: Uint8Array): number {
  const n = buf.length;
  for (let back = 1; back <= Math.min(3, n); back++) {
    const b = buf[n - back];
    if ((b & 0xc0) === 0x80) continue; // continuation byte: keep looking for the lead byte
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return need > back ? back : 0;
  }
  return 0;
}

/** Whether the sample is valid UTF-8 (a sequence cut at the end of the sample is allowed). */
export function isValidUtf8(sample: Uint8Array, complete = false): boolean {
  const body = complete ? sample : sample.subarray(0, sample.length - incompleteUtf8Tail(sample));
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(body);
    return true;
  } catch {
    return false;
  }
}

/** Detects the encoding of text from its first bytes (`complete`: the sample is the whole file). */
export function detectEncoding(sample: Uint8Array, complete = false): TextEncoding {
  if (sample[0] === 0xef && sample[1] === 0xbb && sample[2] === 0xbf) return 'utf-8-bom';
  if (sample[0] === 0xff && sample[1] === 0xfe) return 'utf-16le';
  if (sample[0] === 0xfe && sample[1] === 0xff) return 'utf-16be';
  if (isValidUtf8(sample, complete)) return 'utf-8';
  return 'gb18030';
}

/** Detects the format from the first bytes: ZIP container = XLSX, OLE2 = legacy XLS, `[` = JSON, else CSV. */
/**
 * File kinds recognised by their first bytes that are neither a table nor a notice document
 * (only signatures no text file starts with; other binary data is caught by its bytes).
 */
const NOT_A_TABLE: { kind: string; magic: number[]; at?: number }[] = [
  { kind: 'PNG 图片', magic: [0x89, 0x50, 0x4e, 0x47] },
  { kind: 'JPEG 图片', magic: [0xff, 0xd8, 0xff] },
  { kind: 'GIF 图片', magic: [0x47, 0x49, 0x46, 0x38] },
  { kind: '图片或音视频（RIFF）', magic: [0x52, 0x49, 0x46, 0x46] },
  { kind: 'TIFF 图片', magic: [0x49, 0x49, 0x2a, 0x00] },
  { kind: 'TIFF 图片', magic: [0x4d, 0x4d, 0x00, 0x2a] },
  { kind: 'RAR 压缩包', magic: [0x52, 0x61, 0x72, 0x21] },
  { kind: '7z 压缩包', magic: [0x37, 0x7a, 0xbc, 0xaf] },
  { kind: 'gzip 压缩包', magic: [0x1f, 0x8b] },
  { kind: '视频', magic: [0x66, 0x74, 0x79, 0x70], at: 4 },
  { kind: '可执行程序', magic: [0x7f, 0x45, 0x4c, 0x46] },
];

/**
 * What a file is when it is plainly not a table (an image, an archive, a program, other binary
 * data), in words for the user; null when it may be one. Text in UTF-16 has NUL bytes, so the
 * binary check is for the other encodings only.
 */
export function notATable(sample: Uint8Array, encoding: TextEncoding): string | null {
  for (const m of NOT_A_TABLE) {
    const at = m.at ?? 0;
    if (sample.length >= at + m.magic.length && m.magic.every((b, i) => sample[at + i] === b)) return m.kind;
  }
  if (encoding === 'utf-16le' || encoding === 'utf-16be') return null;
  const head = sample.subarray(0, 4096);
  let control = 0;
  for (const b of head) if (b === 0 || (b < 0x09 || (b > 0x0d && b < 0x20))) control++;
  if (head.includes(0) || control > head.length * 0.1) return '二进制';
  return null;
}

export function detectFormat(sample: Uint8Array, encoding: TextEncoding): FileFormat {
  if (sample[0] === 0x50 && sample[1] === 0x4b && sample[2] === 0x03 && sample[3] === 0x04) return 'xlsx';
  if (sample[0] === 0xd0 && sample[1] === 0xcf && sample[2] === 0x11 && sample[3] === 0xe0) return 'xls';
  const head = decodeSample(sample, encoding).replace(/^\uFEFF/, '').trimStart();
  if (head.startsWith('[')) return 'json';
  return 'csv';
}

function decodeSample(sample: Uint8Array, encoding: TextEncoding): string {
  const buf = Buffer.from(sample.buffer, sample.byteOffset, Math.min(sample.length, 4096));
  switch (encoding) {
    case 'utf-8':
    case 'utf-8-bom':
      return buf.toString('utf8');
    default:
      return iconv.decode(buf, encoding);
  }
}

export class EncodingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EncodingError';
  }
}

/**
 * A transform from bytes to text in the detected encoding. UTF-8 is decoded strictly: a file
 * that turns out not to be UTF-8 after the sample fails with a clear error instead of
 * importing mojibake. The BOM is dropped.
 */
export function decoderStream(encoding: TextEncoding): Transform {
  if (encoding === 'utf-8' || encoding === 'utf-8-bom') {
    const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
    let bytes = 0;
    const fail = (cb: TransformCallback) =>
      cb(new EncodingError(`文件不是有效的 UTF-8 文本（约第 ${bytes} 字节处出现无效字符）；请将文件统一保存为 UTF-8 或 GB18030 编码`));
    return new Transform({
      readableObjectMode: false,
      decodeStrings: true,
      transform(chunk: Buffer, _enc, cb) {
        try {
          const text = decoder.decode(chunk, { stream: true });
          bytes += chunk.length;
          cb(null, text);
        } catch {
          fail(cb);
        }
      },
      flush(cb) {
        try {
          const text = decoder.decode();
          cb(null, text);
        } catch {
          fail(cb);
        }
      },
    });
  }
  return iconv.decodeStream(encoding, { stripBOM: true }) as unknown as Transform;
}

/** Decodes a whole buffer in the detected encoding (small files, JSON). */
export function decodeBuffer(buf: Buffer, encoding: TextEncoding, partial = false): string {
  if (encoding === 'utf-8' || encoding === 'utf-8-bom') {
    try {
      return new TextDecoder('utf-8', { fatal: !partial }).decode(buf);
    } catch {
      throw new EncodingError('文件不是有效的 UTF-8 文本；请将文件统一保存为 UTF-8 或 GB18030 编码');
    }
  }
  return iconv.decode(buf, encoding, { stripBOM: true });
}
