/** Import of a 10,000-row notice into SQLite (a file in a temp dir), against just reading the file. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse';
import { createContext } from '../../src/app/context';
import { loadConfig } from '../../src/config';
import type { Section } from '../section';

const ROWS = 10_000;

async function importInto(file: string, dbName: string): Promise<string> {
  const dir = path.dirname(file);
  const ctx = await createContext(loadConfig({ DATABASE_URL: `sqlite:${path.join(dir, dbName)}`, LOG_LEVEL: 'silent' }));
  try {
    const r = await ctx.imports.importFile(file, { docNo: `bench-${dbName}`, issuedOn: '2026-03-01' });
    return `${r.rows} rows → ${r.work_orders} work orders, ${r.problems} problems, ${r.units_new} units`;
  } finally {
    await ctx.close();
  }
}

export const importSection: Section = {
  name: 'import',
  description: `${ROWS.toLocaleString('en')}-row notice table into SQLite (targets: < 3 s, < 200 MB RSS)`,
  async prepare() {
    // The generator (and the whole exceljs it writes with) is loaded in the parent only.
    const { writeNoticeCsv, writeNoticeXlsxLarge } = await import('../generate');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rectify-bench-'));
    writeNoticeCsv(path.join(dir, 'notice.csv'), ROWS);
    await writeNoticeXlsxLarge(path.join(dir, 'notice.xlsx'), ROWS);
    return dir;
  },
  async cleanup(dir) {
    fs.rmSync(dir, { recursive: true, force: true });
  },
  cases: [
    {
      name: 'baseline: csv-parse only',
      async run(dir) {
        let n = 0;
        for await (const _ of fs.createReadStream(path.join(dir!, 'notice.csv')).pipe(parse({ relax_column_count: true }))) n++;
        return `${n} records`;
      },
    },
    {
      name: 'import CSV',
      baseline: 'baseline: csv-parse only',
      targets: [
        { metric: 'ms', max: 3000 },
        { metric: 'maxRssMb', max: 200 },
      ],
      run: (dir) => importInto(path.join(dir!, 'notice.csv'), 'csv.db'),
    },
    {
      name: 'baseline: exceljs read only',
      async run(dir) {
        // Loaded here, not at the top: the import cases' children must not hold exceljs's whole
        // package, which the import itself does not load (it streams with WorkbookReader alone).
        const ExcelJS = (await import('exceljs')).default;
        const wb = new ExcelJS.Workbook();
        await wb.xlsx.readFile(path.join(dir!, 'notice.xlsx'));
        return `${wb.worksheets[0].rowCount} rows`;
      },
    },
    {
      name: 'import XLSX',
      baseline: 'baseline: exceljs read only',
      targets: [
        { metric: 'ms', max: 3000 },
        { metric: 'maxRssMb', max: 200 },
      ],
      run: (dir) => importInto(path.join(dir!, 'notice.xlsx'), 'xlsx.db'),
    },
  ],
};
