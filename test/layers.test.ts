// The layers of DESIGN.md point only down: optim/schedule/grad → functional → backend.
import { readFileSync } from 'node:fs';
import madge from 'madge';
import { describe, expect, it } from 'vitest';

const graph = madge('src', { fileExtensions: ['ts'], tsConfig: 'tsconfig.json' });

/** The layer a module belongs to: its first folder under src/, or 'index' for the entry. */
const layerOf = (file: string) => (file.includes('/') ? file.slice(0, file.indexOf('/')) : 'index');

// What each layer may import from (besides itself). The entry re-exports everything.
const allowed: Record<string, string[]> = {
  backend: [],
  functional: ['backend'],
  grad: ['functional', 'backend', 'optim'],
  optim: ['functional', 'backend'],
  schedule: ['optim', 'functional', 'backend'],
};

describe('module structure', () => {
  it('has no import cycles, type-only imports included', async () => {
    expect((await graph).circular()).toEqual([]);
  });

  it('imports only from the layers below each module', async () => {
    const upward: string[] = [];
    for (const [file, deps] of Object.entries((await graph).obj())) {
      const from = layerOf(file);
      if (!(from in allowed)) continue;
      for (const dep of deps) {
        const to = layerOf(dep);
        if (to !== from && !allowed[from].includes(to)) upward.push(`${file} → ${dep}`);
      }
    }
    expect(upward).toEqual([]);
  });

  it('keeps each optimizer in one file: its update formula first, then its functional form and its class', () => {
    const api = readFileSync('src/functional-api.ts', 'utf8');
    const files = new Set([...api.matchAll(/from '\.\/(optim\/[\w-]+)'/g)].map((m) => `src/${m[1]}.ts`));
    expect(files.size).toBeGreaterThanOrEqual(10); // adam.ts holds Adam and AdamW
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      const header = text.slice(0, text.indexOf('\nimport '));
      expect(header, file).toMatch(/^\/\/ [^]*θ ←/);
      expect(text, file).toMatch(/\nexport function \w+\(/);
      expect(text, file).toMatch(/\nexport class \w+ extends \w+/);
    }
  });
});
