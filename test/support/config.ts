import os from 'node:os';
import path from 'node:path';
import { loadConfig, type Config } from '../../src/config';

/** A configuration as the service would parse it, with test defaults and overrides. */
export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({ DATABASE_URL: 'sqlite::memory:', LOG_LEVEL: 'silent', NODE_ENV: 'test', QUIET_HOURS: 'off', DATA_DIR: path.join(os.tmpdir(), 'rectify-test-data'), ...env });
}
