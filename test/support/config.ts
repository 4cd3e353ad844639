import os from 'node:os';
import path from 'node:path';
import { loadConfig, type Config } from '../../src/config';

/** A configuration as the service would parse it, with test defaults and overrides. */
export function testConfig(env: Record<string, string> = {}): Config {
  // Automatic re-checks are off unless a test turns them on (they would open the sites of fixtures).
  return loadConfig({
    DATABASE_URL: 'sqlite::memory:', LOG_LEVEL: 'silent', NODE_ENV: 'test', QUIET_HOURS: 'off', RECHECK_ENABLED: 'false',
    DATA_DIR: path.join(os.tmpdir(), 'rectify-test-data'), ...env,
  });
}
