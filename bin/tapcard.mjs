#!/usr/bin/env node
// The tapcard CLI. Sources are TypeScript; tsx compiles them on load so a checkout needs no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
