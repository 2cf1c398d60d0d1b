// Summarises a V8 .cpuprofile (node --cpu-prof): self time per function and per area
// (onebox's dist/ files, undici, node core, GC, ...), idle time left out.
import { readFileSync } from 'node:fs';

function areaOf(url, functionName) {
  if (!url) return functionName; // (garbage collector), (program), native code
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1];
  const dist = /\/dist\/(.+)$/.exec(url);
  if (dist) return `onebox ${dist[1]}`;
  return url.startsWith('node:') ? 'node core' : url;
}

const shortUrl = (url) => url.replace(/^.*\/(dist|node_modules)\//, '$1/').replace(/^file:\/\//, '');

export function summariseProfile(file, top = 20) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));

  const byFunction = new Map();
  const byArea = new Map();
  const ours = new Map();
  let busy = 0;
  for (const [id, us] of selfUs) {
    const { functionName, url, lineNumber } = nodes.get(id).callFrame;
    if (functionName === '(idle)') continue;
    busy += us;
    const fn = `${functionName || '(anonymous)'}${url ? ` ${shortUrl(url)}:${lineNumber + 1}` : ''}`;
    const area = areaOf(url, functionName);
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
    if (area.startsWith('onebox ')) ours.set(fn, (ours.get(fn) ?? 0) + us);
    byArea.set(area, (byArea.get(area) ?? 0) + us);
  }
  const rows = (map, n) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, us]) => `${((us / busy) * 100).toFixed(1).padStart(5)}%  ${name}`);
  return [
    `busy (non-idle) samples: ${(busy / 1e6).toFixed(2)} s`,
    '',
    'self time by area:',
    ...rows(byArea, 12),
    '',
    `top ${top} functions by self time:`,
    ...rows(byFunction, top),
    '',
    "top 10 of onebox's own functions (dist/, built from src/) by self time:",
    ...rows(ours, 10),
  ];
}
