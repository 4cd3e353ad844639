/** Addresses of targets: what users and notices write, as a URL a re-check can open. */

/**
 * The http(s) URL an address stands for ("www.example.gov.cn/xxgk" → "http://www.example.gov.cn/xxgk"),
 * or null when it is not one (a WeChat account name, an e-mail, text).
 */
export function toUrl(address: string | null | undefined): string | null {
  const a = (address ?? '').normalize('NFKC').trim();
  if (!a || a.length > 1000 || /\s/.test(a)) return null;
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(a) ? a : `http://${a}`;
  let u: URL;
  try {
    u = new URL(withScheme);
  } catch {
    return null;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return null;
  if (u.username || u.password) return null;
  // A host name with a dot (or an IP literal): "民政局" alone is not an address.
  if (!/\./.test(u.hostname) && !u.hostname.startsWith('[')) return null;
  return u.href;
}

/** The error users read for an address that is not one. */
export const BAD_ADDRESS = '网址无效：须为 http:// 或 https:// 开头的网站地址，例如 https://www.example.gov.cn/';
