/**
 * What a document reader gives the importer: the notice's lines of text (prose, in reading
 * order) and its tables (cells as text, each row with where it came from). Plain, serialisable
 * data: a reader can run in another process or a worker and hand this back.
 */

/** Where a line or a table row came from: a 1-based line of the extracted text, and the PDF page. */
export interface SourceRef {
  line: number;
  page?: number;
}

export interface TextBlock {
  kind: 'text';
  text: string;
  at: SourceRef;
}

export interface TableBlock {
  kind: 'table';
  rows: string[][];
  /** One per row. */
  at: SourceRef[];
}

export type Block = TextBlock | TableBlock;

export type DocumentFormat = 'text' | 'html' | 'docx' | 'doc' | 'pdf';

export interface ReadLimits {
  /** Largest document accepted (bytes). */
  maxBytes: number;
  /** PDF: most pages read. */
  maxPages: number;
  /** Most table rows kept (all tables together). */
  maxRows: number;
}

export const DEFAULT_READ_LIMITS: ReadLimits = { maxBytes: 50 * 1024 * 1024, maxPages: 2000, maxRows: 200_000 };

export class DocumentReadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DocumentReadError';
  }
}
