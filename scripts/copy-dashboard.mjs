// Part of `npm run build`: the dashboard's browser files (plain ES modules, HTML, CSS) go
// beside the compiled admin server, which serves them from there.
import { cpSync, rmSync } from 'node:fs';

const from = new URL('../src/admin/dashboard/', import.meta.url);
const to = new URL('../dist/admin/dashboard/', import.meta.url);
rmSync(to, { recursive: true, force: true });
cpSync(from, to, { recursive: true, filter: (src) => !/(\.ts|\.json|[\\/]vendor)$/.test(src) });
