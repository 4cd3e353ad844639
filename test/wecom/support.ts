/** Test fixtures of the WeCom transport: the fake WeCom as a real HTTP server on 127.0.0.1:0. */
import { ManualClock, type Clock } from '../../src/clock';
import { FakeWecom, serveFake, type FakeWecomOptions } from '../../src/simulator/fake-wecom';
import { WecomClient } from '../../src/wecom/client';
import { TokenProvider } from '../../src/wecom/token';

export const CORP = { corpId: 'wwtestcorp0001', secret: 'test-secret', agentId: 1000005 };

export interface RunningFake {
  fake: FakeWecom;
  url: string;
  close(): Promise<void>;
}

export async function startFake(options: Partial<FakeWecomOptions> = {}): Promise<RunningFake> {
  const fake = new FakeWecom({ ...CORP, ...options });
  const served = await serveFake(fake);
  return { fake, url: served.url, close: () => served.close() };
}

export function makeClient(url: string, clock: Clock = new ManualClock('2026-11-23T08:00:00Z'), timeoutMs = 2000, secret = CORP.secret) {
  const client = new WecomClient({ baseUrl: url, corpId: CORP.corpId, secret, agentId: CORP.agentId, timeoutMs });
  const tokens = new TokenProvider(client, clock);
  client.useTokens(tokens);
  return { client, tokens };
}

export function text(content: string) {
  return { msgtype: 'text' as const, text: { content } };
}
