/**
 * Shared by the several-instances tests: WeCom credentials the service and the fake agree on,
 * a probe loop, and signed callbacks posted to several instances at once (WeCom behind a load
 * balancer may deliver one callback to each of them).
 */
import axios from 'axios';
import type { WecomCredentials } from '../../src/config';
import { actionXml, buildCallback, type UserAction } from '../../src/simulator/callback-client';
import { CORP } from '../wecom/support';

export const HAS_PG = Boolean(process.env.TEST_DATABASE_URL);
export const PG_SKIP_REASON = 'skipped: TEST_DATABASE_URL is not set (these tests need PostgreSQL; .ci/run sets it)';

export const CREDS: WecomCredentials = {
  corpId: CORP.corpId,
  agentId: CORP.agentId,
  secret: CORP.secret,
  token: 'multiInstanceToken',
  encodingAesKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG',
};

/** The service's environment for real (non-simulated) WeCom credentials against `apiBase`. */
export function wecomEnv(apiBase: string): Record<string, string> {
  return {
    WECOM_CORP_ID: CREDS.corpId,
    WECOM_AGENT_ID: String(CREDS.agentId),
    WECOM_SECRET: CREDS.secret,
    WECOM_TOKEN: CREDS.token,
    WECOM_ENCODING_AES_KEY: CREDS.encodingAesKey,
    WECOM_API_BASE: apiBase,
  };
}

export const http = axios.create({ validateStatus: () => true, proxy: false, timeout: 10_000 });

/** Posts one and the same signed, encrypted callback to every URL at once; returns the statuses. */
export async function postToAll(urls: string[], action: UserAction): Promise<number[]> {
  const cb = buildCallback(CREDS, actionXml(CREDS, action), action.createTimeS);
  const res = await Promise.all(
    urls.map((url) => http.post(url, cb.body, { params: cb.query, headers: { 'Content-Type': 'text/xml' } })),
  );
  return res.map((r) => r.status);
}
