/** The OpenAPI document lists exactly the routes the API mounts, and is served. */
import { createApiDeps, createApiRouter } from '../../src/http/api';
import { openTestDb, type TestDb } from '../support/db';
import { Client, startAdminServer, type AdminServer } from './support';
import { createContext } from '../../src/app/context';
import { testConfig } from '../support/config';

describe('OpenAPI document', () => {
  let t: TestDb;
  let s: AdminServer;
  beforeAll(async () => {
    t = await openTestDb('sqlite');
    s = await startAdminServer(t);
  });
  afterAll(async () => {
    await s.close();
    await t.destroy();
  });

  it('is served without signing in and lists every mounted route with its method', async () => {
    const doc = (await new Client(s.base).get('/openapi.json')).body;
    expect(doc.openapi).toBe('3.1.0');
    const documented = Object.entries(doc.paths as Record<string, Record<string, unknown>>)
      .flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`))
      .sort();

    const ctx = await createContext(testConfig(), { db: t.db, migrate: false });
    const router = createApiRouter(ctx, createApiDeps(ctx)) as unknown as { stack: { route?: { path: string; methods: Record<string, boolean> } }[] };
    const mounted = router.stack
      .filter((l) => l.route && l.route.path !== '/openapi.json')
      .flatMap((l) => Object.keys(l.route!.methods).map((m) => `${m.toUpperCase()} /api${l.route!.path.replace(/:([A-Za-z_]+)/g, '{$1}')}`))
      .sort();
    expect(mounted.length).toBeGreaterThan(40);
    expect(documented).toEqual(mounted);
  });

  it('describes parameters, bodies and uploads from the validation schemas', async () => {
    const doc = (await new Client(s.base).get('/openapi.json')).body;
    const list = doc.paths['/api/work-orders'].get;
    const names = list.parameters.map((p: any) => p.name);
    expect(names).toEqual(expect.arrayContaining(['notice_id', 'unit_id', 'state', 'overdue', 'kind', 'category', 'page', 'page_size']));
    expect(list.parameters.find((p: any) => p.name === 'page_size').schema).toMatchObject({ maximum: 500, default: 50 });
    const rule = doc.paths['/api/deadline-rules'].post.requestBody.content['application/json'].schema;
    expect(rule.required).toEqual(expect.arrayContaining(['amount', 'unit']));
    const upload = doc.paths['/api/notices/uploads'].post.requestBody.content['multipart/form-data'].schema;
    expect(upload.properties.file).toEqual({ type: 'string', format: 'binary', description: '文件' });
    expect(doc.paths['/api/work-orders/{id}'].get.parameters[0]).toMatchObject({ name: 'id', in: 'path', required: true });
    expect(Object.keys(doc.paths['/api/notices/{id}/export'].get.responses['200'].content)).toEqual([
      'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
      'text/csv',
    ]);
    expect(doc.paths['/api/auth/login'].post.security).toEqual([]);
  });
});
