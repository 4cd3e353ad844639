/**
 * The service running in simulator mode for a chat test: started before each test on the test's
 * database (no jobs, fast loops), a signed-in client of the simulator page, and the page's
 * actions (what a user received, saying something, clicking a card button). Stopped after each.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AxiosInstance } from 'axios';
import { startService, type RunningService } from '../../src/service';
import type { Logger } from '../../src/logger';
import { testConfig } from './config';
import type { TestDb } from './db';
import { simulatorClient } from './sim-session';
import { waitFor as defaultWait } from './wait';

type Wait = <T>(what: string, probe: () => Promise<T | null | undefined | false>) => Promise<T>;

export interface SimChat {
  readonly svc: RunningService;
  /** The simulator page's API, signed in as a console admin. */
  readonly http: AxiosInstance;
  /** The service's MEDIA_DIR (a fresh temporary folder per test). */
  readonly dir: string;
  page: (p: string) => string;
  /** Messages the bot sent to `userid`, oldest first. */
  inbox: (userid: string) => Promise<any[]>;
  texts: (userid: string) => Promise<string[]>;
  cards: (userid: string) => Promise<any[]>;
  say: (userid: string, content: string) => Promise<void>;
  click: (userid: string, msgid: string, key: string) => Promise<void>;
  /** Waits for a text to `userid` that satisfies `test`, beyond the first `after` texts. */
  nextText: (userid: string, after: number, test?: (t: string) => boolean) => Promise<string>;
}

export function useSimulatedChat(
  get: () => TestDb,
  options: { tmpPrefix: string; logger?: Logger; wait?: Wait; setup?: (svc: RunningService) => Promise<unknown> },
): SimChat {
  const wait: Wait = options.wait ?? ((what, probe) => defaultWait(what, probe));
  let svc: RunningService | undefined;
  let http: AxiosInstance | undefined;
  let dir: string | undefined;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), options.tmpPrefix));
    svc = await startService(testConfig({ PORT: '0', MEDIA_DIR: dir, JOBS_ENABLED: 'false' }), {
      db: get().db,
      migrate: false,
      pollIntervalMs: 30,
      ...(options.logger ? { logger: options.logger } : {}),
    });
    http = await simulatorClient(svc);
    await options.setup?.(svc);
  });
  afterEach(async () => {
    await svc?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    svc = http = dir = undefined;
  });

  const running = () => {
    if (!svc || !http || !dir) throw new Error('the service runs only inside a test');
    return { svc, http, dir };
  };
  const sim: SimChat = {
    get svc() {
      return running().svc;
    },
    get http() {
      return running().http;
    },
    get dir() {
      return running().dir;
    },
    page: (p) => `${running().svc.baseUrl}/simulator/page${p}`,
    inbox: async (userid) => ((await running().http.get(sim.page('/messages'), { params: { userid } })).data.items as any[]).filter((i) => i.dir === 'in'),
    texts: async (userid) => (await sim.inbox(userid)).filter((m) => m.msgtype === 'text').map((m) => m.body.content as string),
    cards: async (userid) => (await sim.inbox(userid)).filter((m) => m.msgtype === 'template_card'),
    say: async (userid, content) => expect((await running().http.post(sim.page('/text'), { userid, content })).status).toBe(200),
    click: async (userid, msgid, key) => expect((await running().http.post(sim.page('/click'), { userid, msgid, key })).status).toBe(200),
    nextText: (userid, after, test = () => true) => wait(`a message to ${userid}`, async () => (await sim.texts(userid)).slice(after).find(test)),
  };
  return sim;
}
