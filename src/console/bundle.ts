/**
 * The console's browser bundle: src/console/app (TypeScript + Preact TSX) compiled by esbuild into
 * one ES module, `app.js`. `npm run build` writes it next to the compiled service
 * (scripts/after-build.js); `npm start` and the tests (which run from the sources) build it in
 * memory on the first request (router.ts). esbuild is loaded only here, so the compiled service
 * never needs it at run time.
 */
import path from 'node:path';

/** The entry point, found from the sources' folder (src/console). */
export function consoleEntry(srcConsoleDir: string): string {
  return path.join(srcConsoleDir, 'app', 'main.tsx');
}

const OPTIONS = {
  bundle: true,
  format: 'esm' as const,
  target: 'es2022',
  platform: 'browser' as const,
  jsx: 'automatic' as const,
  jsxImportSource: 'preact',
  legalComments: 'none' as const,
  // Chinese text as written (smaller than \u escapes); served as UTF-8.
  charset: 'utf8' as const,
  logLevel: 'silent' as const,
};

/** Builds the bundle and returns its text (nothing is written). */
export async function buildConsoleBundle(entry: string, opts: { minify?: boolean } = {}): Promise<string> {
  const esbuild = await import('esbuild');
  const result = await esbuild.build({ ...OPTIONS, entryPoints: [entry], write: false, minify: opts.minify ?? false, outfile: 'app.js' });
  const js = result.outputFiles.find((f) => f.path.endsWith('app.js'));
  if (!js) throw new Error('控制台脚本打包失败：esbuild 没有输出 app.js / the console bundle has no app.js');
  return js.text;
}
