/** The embedded simulator's credentials: fresh per start, nothing real, nothing to leak. */
import crypto from 'node:crypto';
import type { WecomCredentials } from '../config';

export const SIMULATOR_CORP_ID = 'wwsimulator';
export const SIMULATOR_AGENT_ID = 1000002;

export function simulatorCredentials(): WecomCredentials {
  return {
    corpId: SIMULATOR_CORP_ID,
    agentId: SIMULATOR_AGENT_ID,
    secret: crypto.randomBytes(16).toString('hex'),
    token: crypto.randomBytes(12).toString('hex'),
    // 32 random bytes in base64 are 43 characters and one '='.
    encodingAesKey: crypto.randomBytes(32).toString('base64').slice(0, 43),
  };
}
