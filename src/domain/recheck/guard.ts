/**
 * Which addresses a re-check may connect to: public unicast only, unless the configuration
 * allows more (RECHECK_ALLOW_ADDRESSES; the tests allow 127.0.0.1). Checked on the resolved IPs
 * of every request, redirects included, and again when the socket connects (DNS rebinding).
 */
import dns from 'node:dns';
import ipaddr from 'ipaddr.js';

export type LookupAll = (hostname: string) => Promise<{ address: string; family: number }[]>;

export const systemLookup: LookupAll = (hostname) => dns.promises.lookup(hostname, { all: true, verbatim: true });

export class BlockedAddressError extends Error {
  readonly code = 'RECHECK_BLOCKED';
  constructor(
    readonly hostname: string,
    readonly address: string,
  ) {
    super(`${hostname} 解析为内网或保留地址 ${address}，未获允许访问`);
    this.name = 'BlockedAddressError';
  }
}

/** Parses "127.0.0.1, 10.0.0.0/8, ::1" (addresses or CIDR ranges); throws on a bad entry. */
export function parseAllowList(text: string): [ipaddr.IPv4 | ipaddr.IPv6, number][] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => {
      if (s.includes('/')) return ipaddr.parseCIDR(s);
      const a = ipaddr.parse(s);
      return [a, a.kind() === 'ipv4' ? 32 : 128] as [ipaddr.IPv4 | ipaddr.IPv6, number];
    });
}

export class AddressGuard {
  constructor(private readonly allow: [ipaddr.IPv4 | ipaddr.IPv6, number][] = []) {}

  /** Whether a re-check may connect to this IP. */
  allowed(ip: string): boolean {
    let a: ipaddr.IPv4 | ipaddr.IPv6;
    try {
      a = ipaddr.process(ip); // IPv4-mapped IPv6 becomes IPv4
    } catch {
      return false;
    }
    for (const [range, bits] of this.allow) {
      if (range.kind() === a.kind() && a.match(range, bits)) return true;
    }
    return a.range() === 'unicast';
  }

  /** Throws BlockedAddressError when any address is not allowed. */
  check(hostname: string, addresses: string[]): void {
    for (const ip of addresses) if (!this.allowed(ip)) throw new BlockedAddressError(hostname, ip);
  }
}
