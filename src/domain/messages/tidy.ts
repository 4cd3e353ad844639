/**
 * Texts read as an office writes them, whatever the placeholders held: a unit's reason ending in
 * 。 inside "理由：{reason}。" gives no "。。", a "。，" keeps the comma, and a bracket inside a
 * bracket ("（待整改（已逾期））", "（咸宁市公安局（网安支队））") is flattened with a comma.
 */
const MARKS = '。，；、！？';
const STRONG = '！？';

/** Collapses runs of Chinese punctuation to one mark: ！/？ when present, else the last one. */
function collapseMarks(text: string): string {
  return text.replace(new RegExp(`[${MARKS}]{2,}`, 'g'), (run) => {
    const strong = [...run].find((c) => STRONG.includes(c));
    return strong ?? run[run.length - 1];
  });
}

/** （A（B））→（A，B）; empty brackets disappear. */
function flattenBrackets(text: string): string {
  let depth = 0;
  let out = '';
  for (const ch of text) {
    if (ch === '（') {
      out += depth === 0 ? ch : '，';
      depth++;
    } else if (ch === '）' && depth > 0) {
      depth--;
      if (depth === 0) out += ch;
    } else out += ch;
  }
  return out.replace(/（）/g, '').replace(/（，/g, '（').replace(/，）/g, '）');
}

export function tidy(text: string): string {
  return collapseMarks(flattenBrackets(text)).replace(/：。/g, '：');
}
