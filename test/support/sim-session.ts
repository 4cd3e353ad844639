/**
 * The simulator's page API needs a console admin session with its CSRF token: this makes an
 * admin account on the running service, signs it in through /api/auth/login, and returns an
 * axios client that sends the cookie and the token (as the page does).
 */
import axios, { type AxiosInstance } from 'axios';
import type { RunningService } from '../../src/service';
import { UserStore } from '../../src/http/auth/users';

let n = 0;

export async function simulatorClient(svc: RunningService): Promise<AxiosInstance> {
  const username = `simadmin${++n}`;
  const password = `${username}-password`;
  const users = new UserStore(svc.ctx.db, svc.ctx.events);
  if (!(await users.getByUsername(username))) {
    await users.create({ username, role: 'admin', password }, 'test', svc.ctx.clock.now());
  }
  const login = await axios.post(`${svc.baseUrl}/api/auth/login`, { username, password }, { validateStatus: () => true, proxy: false });
  if (login.status !== 200) throw new Error(`sign-in failed: ${login.status} ${JSON.stringify(login.data)}`);
  const cookie = /rb_session=[^;]*/.exec(String(login.headers['set-cookie']))![0];
  return axios.create({
    validateStatus: () => true,
    proxy: false,
    headers: { cookie, 'x-csrf-token': login.data.csrf_token },
  });
}
