/**
 * Plain text (copied from a web page or extracted from a PDF or Word file) to blocks: prose
 * lines, and the tables that extraction leaves behind in three layouts:
 *  - tab-separated rows (a blank line or a short section row such as "微信公众号" may sit
 *    between them: a page break, or a row that names the platform of the rows below);
 *  - markdown pipe tables (`| a | b |`, with or without the `|---|` line);
 *  - one cell per line, each record a paragraph of its own (records separated by blank lines,
 *    cells indented with tabs), below a header written the same way.
 */
import { KNOWN_HEADERS, normalizeHeader, recognizeHeader } from '../headers';
import { isFurniture, stripTags } from './furniture';
import type { Block, SourceRef } from './model';

interface Line {
  text: string;
  at: SourceRef;
}

const isBlank = (l: Line | undefined) => !l || l.text.trim() === '';

function tabCells(text: string): string[] | null {
  if (!text.includes('\t')) return null;
  const cells = text.split('\t').map((c) => c.trim());
  while (cells.length && cells[cells.length - 1] === '') cells.pop();
  return cells.filter(Boolean).length >= 2 ? cells : null;
}

const PIPE_SEPARATOR = /^\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?$/;

function pipeCells(text: string): string[] | null {
  const t = text.trim();
  if ((t.match(/\|/g)?.length ?? 0) < 2) return null;
  if (PIPE_SEPARATOR.test(t)) return [];
  const parts = t.split('|').map((c) => c.trim());
  if (t.startsWith('|')) parts.shift();
  if (t.endsWith('|')) parts.pop();
  return parts.filter(Boolean).length >= 2 ? parts : null;
}

/** A line that can sit alone inside a table as a section row ("微信公众号", "市直部门"). */
function isSectionLine(text: string): boolean {
  const t = text.trim();
  return t.length > 0 && t.length <= 12 && !/[。；;，,：:]/u.test(t) && !/(名单|清单|表|情况|统计|附件)/u.test(t);
}

/** Whether a short line is a known header spelling of a field. */
export function isHeaderWord(text: string): boolean {
  const t = text.trim();
  if (!t || t.length > 20) return false;
  if (KNOWN_HEADERS.has(normalizeHeader(t))) return true;
  const role = recognizeHeader(t);
  return role !== null && role !== 'extra';
}

export function textToLines(text: string): Line[] {
  const out: Line[] = [];
  const raw = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/);
  for (let i = 0; i < raw.length; i++) {
    const t = stripTags(raw[i]).replace(/\u00a0/g, ' ').replace(/\s+$/u, '').replace(/^#{1,6}\s+/u, '');
    if (isFurniture(t)) continue;
    out.push({ text: t, at: { line: i + 1 } });
  }
  return out;
}

/** Reads text into prose lines and tables. */
export function textBlocks(text: string): Block[] {
  return linesToBlocks(textToLines(text));
}

export function linesToBlocks(lines: Line[]): Block[] {
  const blocks: Block[] = [];
  let i = 0;
  const nextNonBlank = (from: number) => {
    let j = from;
    while (j < lines.length && isBlank(lines[j])) j++;
    return j;
  };
  while (i < lines.length) {
    const line = lines[i];
    if (isBlank(line)) {
      i++;
      continue;
    }
    // Tab-separated rows.
    if (tabCells(line.text)) {
      const rows: string[][] = [];
      const at: SourceRef[] = [];
      let j = i;
      while (j < lines.length) {
        const cells = tabCells(lines[j].text);
        // A header row of another width after data rows starts another table.
        if (cells && rows.length >= 2 && cells.length !== rows[0].length && cells.filter(isHeaderWord).length >= 2) break;
        if (cells) {
          rows.push(cells);
          at.push(lines[j].at);
          j++;
          continue;
        }
        const k = nextNonBlank(j);
        if (k >= lines.length) break;
        if (k > j && tabCells(lines[k].text)) {
          j = k; // a blank line (page break) between rows
          continue;
        }
        if (k === j && isSectionLine(lines[j].text) && tabCells(lines[nextNonBlank(j + 1)]?.text ?? '')) {
          rows.push([lines[j].text.trim()]);
          at.push(lines[j].at);
          j++;
          continue;
        }
        break;
      }
      blocks.push({ kind: 'table', rows, at });
      i = j;
      continue;
    }
    // Pipe tables.
    if (pipeCells(line.text)) {
      const rows: string[][] = [];
      const at: SourceRef[] = [];
      let j = i;
      while (j < lines.length) {
        const cells = pipeCells(lines[j].text);
        if (!cells) break;
        if (cells.length) {
          rows.push(cells);
          at.push(lines[j].at);
        }
        j++;
      }
      blocks.push({ kind: 'table', rows, at });
      i = j;
      continue;
    }
    // One cell per line: a paragraph of header words, then one paragraph per record.
    const para: Line[] = [];
    for (let j = i; j < lines.length && !isBlank(lines[j]); j++) para.push(lines[j]);
    if (para.length >= 3 && para.filter((l) => isHeaderWord(l.text)).length >= Math.max(2, Math.ceil(para.length * 0.6)) && para.every((l) => l.text.trim().length <= 20)) {
      const width = para.length;
      const rows: string[][] = [para.map((l) => l.text.trim())];
      const at: SourceRef[] = [para[0].at];
      let j = i + para.length;
      for (;;) {
        const k = nextNonBlank(j);
        if (k >= lines.length) {
          j = k;
          break;
        }
        const rec: Line[] = [];
        for (let m = k; m < lines.length && !isBlank(lines[m]); m++) rec.push(lines[m]);
        const indented = rec.slice(1).every((l) => /^\s/.test(l.text));
        if (rec.length > width || rec.length < 2 || (!indented && rec.length !== width) || tabCells(rec[0].text)) {
          j = k;
          break;
        }
        rows.push(rec.map((l) => l.text.trim()));
        at.push(rec[0].at);
        j = k + rec.length;
      }
      blocks.push({ kind: 'table', rows, at });
      i = j;
      continue;
    }
    blocks.push({ kind: 'text', text: line.text.trim(), at: line.at });
    i++;
  }
  return blocks;
}
