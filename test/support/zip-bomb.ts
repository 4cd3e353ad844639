/**
 * A small XLSX whose one sheet unpacks to a huge XML (a "zip bomb"), written by hand so the test
 * controls both the real size and the size the zip states: deflate shrinks a repeated row
 * about a thousand times, so `unpackedMb` of XML costs ~unpackedMb KB on disk and little memory here.
 */
import fs from 'node:fs';
import { once } from 'node:events';
import zlib from 'node:zlib';

interface Entry {
  name: string;
  crc: number;
  compressed: Buffer;
  size: number;
  offset: number;
}

const SMALL: Record<string, string> = {
  '[Content_Types].xml':
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">' +
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>' +
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>' +
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',
  '_rels/.rels':
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">' +
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
  'xl/workbook.xml':
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">' +
    '<sheets><sheet name="清单" sheetId="1" r:id="rId1"/></sheets></workbook>',
  'xl/_rels/workbook.xml.rels':
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">' +
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
};

function localHeader(e: Omit<Entry, 'offset'>, statedSize: number): Buffer {
  const name = Buffer.from(e.name, 'utf8');
  const h = Buffer.alloc(30);
  h.writeUInt32LE(0x04034b50, 0);
  h.writeUInt16LE(20, 4);
  h.writeUInt16LE(0x0800, 6); // UTF-8 names
  h.writeUInt16LE(8, 8); // deflate
  h.writeUInt32LE(e.crc >>> 0, 14);
  h.writeUInt32LE(e.compressed.length, 18);
  h.writeUInt32LE(statedSize, 22);
  h.writeUInt16LE(name.length, 26);
  return Buffer.concat([h, name]);
}

function centralHeader(e: Entry, statedSize: number): Buffer {
  const name = Buffer.from(e.name, 'utf8');
  const h = Buffer.alloc(46);
  h.writeUInt32LE(0x02014b50, 0);
  h.writeUInt16LE(20, 4);
  h.writeUInt16LE(20, 6);
  h.writeUInt16LE(0x0800, 8);
  h.writeUInt16LE(8, 10);
  h.writeUInt32LE(e.crc >>> 0, 16);
  h.writeUInt32LE(e.compressed.length, 20);
  h.writeUInt32LE(statedSize, 24);
  h.writeUInt16LE(name.length, 28);
  h.writeUInt32LE(e.offset, 42);
  return Buffer.concat([h, name]);
}

/**
 * Writes the bomb. `statedMb`: the sheet's size as the zip states it (default: the truth); a
 * smaller figure makes a zip that lies about its contents.
 */
export async function writeXlsxBomb(file: string, unpackedMb: number, options: { statedMb?: number } = {}): Promise<void> {
  const head = Buffer.from(
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>' +
      '<row><c t="inlineStr"><is><t>账号名称</t></is></c><c t="inlineStr"><is><t>存在问题</t></is></c></row>',
  );
  const tail = Buffer.from('</sheetData></worksheet>');
  const row = '<row><c t="inlineStr"><is><t>账号</t></is></c><c t="inlineStr"><is><t>更新不及时</t></is></c></row>';
  const chunk = Buffer.from(row.repeat(Math.floor((1024 * 1024) / Buffer.byteLength(row))));
  const chunks = Math.ceil((unpackedMb * 1024 * 1024) / chunk.length);
  // Deflate chunk by chunk (the whole XML is never in memory).
  let crc = 0;
  let size = 0;
  const raw = zlib.createDeflateRaw({ level: 9 });
  const parts: Buffer[] = [];
  raw.on('data', (b: Buffer) => parts.push(b));
  const ended = once(raw, 'end');
  const write = async (b: Buffer) => {
    crc = zlib.crc32(b, crc);
    size += b.length;
    if (!raw.write(b)) await once(raw, 'drain');
  };
  await write(head);
  for (let i = 0; i < chunks; i++) await write(chunk);
  await write(tail);
  raw.end();
  await ended;
  const sheet = { name: 'xl/worksheets/sheet1.xml', crc, compressed: Buffer.concat(parts), size };

  const entries: Entry[] = [];
  const body: Buffer[] = [];
  let offset = 0;
  const add = (e: Omit<Entry, 'offset'>, stated: number) => {
    const local = localHeader(e, stated);
    entries.push({ ...e, offset });
    body.push(local, e.compressed);
    offset += local.length + e.compressed.length;
  };
  const stated = options.statedMb !== undefined ? Math.round(options.statedMb * 1024 * 1024) : Math.min(size, 0xffffffff);
  for (const [name, text] of Object.entries(SMALL)) {
    const data = Buffer.from(text, 'utf8');
    add({ name, crc: zlib.crc32(data), compressed: zlib.deflateRawSync(data), size: data.length }, data.length);
  }
  add(sheet, stated);
  const central = Buffer.concat(entries.map((e) => centralHeader(e, e.name === sheet.name ? stated : e.size)));
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(central.length, 12);
  end.writeUInt32LE(offset, 16);
  fs.writeFileSync(file, Buffer.concat([...body, central, end]));
}
