// The fused-optim/tfjs entry as installed: both module formats resolve through the exports map,
// share one copy of the backend state with the main entry, and load no TensorFlow.js themselves.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));

describe('the fused-optim/tfjs entry', () => {
  it('resolves for require and import, with types', async () => {
    expect(typeof require('fused-optim/tfjs').fusedTrain).toBe('function');
    expect(typeof (await import('fused-optim/tfjs')).registerFusedOptimizers).toBe('function');
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    expect(manifest.exports['./tfjs'].import.types).toBe('./dist/tfjs.d.ts');
    expect(manifest.exports['./tfjs'].require.types).toBe('./dist/tfjs.d.cts');
    expect(manifest.peerDependenciesMeta['@tensorflow/tfjs-core'].optional).toBe(true);
  });

  it('loads no copy of TensorFlow.js and shares the backend chunk with the main entry', () => {
    for (const [entry, main] of [['tfjs.js', 'index.js'], ['tfjs.cjs', 'index.cjs']]) {
      const code = readFileSync(join(root, 'dist', entry), 'utf8');
      expect(code).not.toMatch(/^\s*(import\b[^\n]*\bfrom\s*|[^\n]*\brequire\(\s*|[^\n]*\bimport\(\s*)['"]@tensorflow/m);
      const chunks = (text: string) => [...text.matchAll(/["'](\.\/chunk-[\w-]+\.c?js)["']/g)].map((m) => m[1]);
      const shared = chunks(code).filter((c) => chunks(readFileSync(join(root, 'dist', main), 'utf8')).includes(c));
      expect(shared.length, `${entry} and ${main} share a chunk`).toBeGreaterThan(0);
    }
  });
});
