#!/usr/bin/env node
// The `evalgate` command as npm links it. It runs the compiled CLI in dist/. A source checkout installs with
// `ignore-scripts=true` (.npmrc: no dependency's install script may download anything, onnxruntime-node's
// CUDA fetch included), so npm's `prepare` never builds dist/ there; the first call builds it instead, once,
// with the project's own tsc. A published package ships dist/ and never builds.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath, URL } from 'node:url';

const main = new URL('../dist/gateway/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  const tsconfig = fileURLToPath(new URL('../tsconfig.build.json', import.meta.url));
  const tsc = fileURLToPath(new URL('../node_modules/typescript/bin/tsc', import.meta.url));
  if (!existsSync(tsconfig) || !existsSync(tsc)) {
    process.stderr.write(`evalgate: ${fileURLToPath(main)} is missing and this install cannot build it (run npm run build in the source checkout)\n`);
    process.exit(1);
  }
  process.stderr.write('evalgate: building dist/ for the first time in this checkout (npm run build does the same)…\n');
  const built = spawnSync(process.execPath, [tsc, '-p', tsconfig], { stdio: 'inherit' });
  if (built.status !== 0) {
    process.stderr.write(`evalgate: the build failed (tsc exit ${built.status ?? built.signal}); fix the errors above or run npm run build\n`);
    process.exit(1);
  }
}
await import(main.href);
