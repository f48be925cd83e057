#!/usr/bin/env node
// The `evalgate` bin. Commands are discovered from ./commands so that each
// feature adds one file and nothing else; each command module keeps its
// top-level imports light and loads heavy modules (ONNX, sharp, pg) lazily in
// its action, so `evalgate --help` starts fast.
import { buildProgram, commandNameOf } from './build-program.js';

export type { RegisterCommand } from './build-program.js';

const program = await buildProgram(commandNameOf(process.argv.slice(2)));
await program.parseAsync(process.argv);
