/**
 * Completes `npm run build` (tsc -p tsconfig.build.json): copies the files tsc does not emit
 * (the console's and the simulator's static pages) next to the compiled code, bundles the
 * console's script (src/console/app → OUT/src/console/public/app.js, with esbuild), and writes
 * the two entry points `node OUT/main.js` (the service) and `node OUT/cli.js` (the CLI).
 *
 * Usage: node scripts/after-build.js [OUT]   (default: dist)
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const out = path.resolve(root, process.argv[2] || 'dist');

for (const dir of ['src/console/public', 'src/simulator/public']) {
  fs.cpSync(path.join(root, dir), path.join(out, dir), { recursive: true });
}

async function bundleConsole() {
  const { buildConsoleBundle, consoleEntry } = require(path.join(out, 'src', 'console', 'bundle'));
  const js = await buildConsoleBundle(consoleEntry(path.join(root, 'src', 'console')), { minify: true });
  fs.writeFileSync(path.join(out, 'src', 'console', 'public', 'app.js'), js);
}

const HEAD = "'use strict';\n// Written by scripts/after-build.js.\n";
fs.writeFileSync(path.join(out, 'main.js'), `${HEAD}require('./src/main');\n`);
// src/cli/main runs only as the main module: call it the way it calls itself.
fs.writeFileSync(
  path.join(out, 'cli.js'),
  `${HEAD}require('./src/cli/main')
  .runCli(process.argv)
  .catch((e) => {
    process.stderr.write('错误：' + (e instanceof Error ? e.message : String(e)) + '\\n');
    process.exitCode = 1;
  });
`,
);

bundleConsole().catch((e) => {
  process.stderr.write(`控制台脚本打包失败 / console bundle failed: ${e && e.stack ? e.stack : e}\n`);
  process.exitCode = 1;
});
