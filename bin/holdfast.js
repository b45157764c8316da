#!/usr/bin/env node
// The `holdfast` command. It runs the TypeScript sources directly through tsx, so a
// checkout needs no build step: `npx holdfast …` works right after `npm install`.
import { register } from 'tsx/esm/api';

register();
const { runCli } = await import('../src/cli/main.ts');
process.exitCode = await runCli(process.argv.slice(2));
