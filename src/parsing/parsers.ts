/**
 * The parse functions that run in the parse worker (see ./isolated.ts), by name. Each takes a
 * file (its path, and the name the user gave it) and options, and returns a result the
 * structured-clone algorithm can copy (plain objects, arrays, Map, Set, Date; no classes,
 * no functions). A parser of bytes can be added with `fromBytes`.
 */
import fs from 'node:fs';
import { parseContactsFile } from '../domain/contacts/parse';
import { readNoticeDocument } from '../domain/import/notice';
import { parseNoticeFile, type ParseOptions } from '../domain/import/parse';

export interface ParseInput<O> {
  /** The file to read (on this machine). */
  file: string;
  /** The name the user knows the file by (an upload's original name). */
  fileName: string;
  options: O;
}

/** A pure parser of bytes as a worker parser: the worker reads the file itself. */
export function fromBytes<O, R>(parse: (bytes: Buffer, fileName: string, options: O) => R | Promise<R>) {
  return async (input: ParseInput<O>): Promise<R> => parse(await fs.promises.readFile(input.file), input.fileName, input.options);
}

export const PARSERS = {
  noticeTable: (input: ParseInput<ParseOptions>) => parseNoticeFile(input.file, input.options),
  /** A published notice (PDF, DOCX, DOC, HTML, text): its facts and tables, before the table importer. */
  noticeDocument: (input: ParseInput<Record<string, never>>) => readNoticeDocument(input.file),
  contactsTable: (input: ParseInput<{ sheet?: string }>) => parseContactsFile(input.file, input.options),
};

export type ParserName = keyof typeof PARSERS;
export type ParserOptions<N extends ParserName> = Parameters<(typeof PARSERS)[N]>[0]['options'];
export type ParserResult<N extends ParserName> = Awaited<ReturnType<(typeof PARSERS)[N]>>;
