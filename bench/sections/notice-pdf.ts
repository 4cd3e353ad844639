/** Import of a 200-page PDF notice (5,000 table rows) into SQLite, against extracting its text alone. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createContext } from '../../src/app/context';
import { loadConfig } from '../../src/config';
import { pdfPages } from '../../src/domain/import/documents/pdf';
import { cjkFont, writeNoticePdf } from '../generate-pdf';
import type { Section } from '../section';

const ROWS = 5_000;
// Rows of ~36 per page: about 200 pages with the header repeated on each.

export const noticePdfSection: Section = {
  name: 'notice-pdf',
  description: `a ${ROWS.toLocaleString('en')}-row PDF notice (pdfkit, ~200 pages) imported into SQLite; baseline: pdf.js text extraction of every page (targets: < 10 s, < 300 MB RSS)`,
  async prepare() {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rectify-bench-pdf-'));
    await writeNoticePdf(path.join(dir, 'notice.pdf'), ROWS);
    return dir;
  },
  async cleanup(dir) {
    fs.rmSync(dir, { recursive: true, force: true });
  },
  cases: [
    {
      name: 'baseline: pdf.js text only',
      skip: () => (cjkFont() ? null : 'no CJK font (fonts-noto-cjk)'),
      async run(dir) {
        // pdf.js as the importer runs it (a worker thread of plain Node), text items only.
        let items = 0;
        let pages = 0;
        for await (const m of pdfPages(fs.readFileSync(path.join(dir!, 'notice.pdf')), 10_000)) {
          if ('items' in m) {
            items += m.items.length;
            pages++;
          }
        }
        return `${pages} pages, ${items} text items`;
      },
    },
    {
      name: 'import PDF notice',
      baseline: 'baseline: pdf.js text only',
      skip: () => (cjkFont() ? null : 'no CJK font (fonts-noto-cjk)'),
      targets: [
        { metric: 'ms', max: 10_000 },
        { metric: 'maxRssMb', max: 300 },
      ],
      async run(dir) {
        const ctx = await createContext(loadConfig({ DATABASE_URL: `sqlite:${path.join(dir!, 'pdf.db')}`, LOG_LEVEL: 'silent' }));
        try {
          const r = await ctx.imports.importFile(path.join(dir!, 'notice.pdf'));
          if (r.rejected.length) return `rejected: ${r.rejected[0].reason}`;
          return `${r.notice?.pages} pages, ${r.rows} rows → ${r.work_orders} work orders, ${r.problems} problems, ${r.units_new} units; facts: ${r.notice?.title}, ${r.notice?.issued_on}, due ${r.notice?.report_due_on}`;
        } finally {
          await ctx.close();
        }
      },
    },
  ],
};
