import { defineConfig } from 'tsup';

// One source, two module formats: dist/index.js (ESM) and dist/index.cjs (CommonJS), each with
// its own .d.ts. `shims` gives the CommonJS build a working import.meta.url for the addon loader.
// Declarations marked @internal (the planning machinery optimizers share) stay out of the .d.ts.
// dist/tfjs.* is the fused-optim/tfjs entry; code splitting (CommonJS too) keeps one copy of the
// backend state shared by both entries.
export default defineConfig({
  entry: { index: 'src/index.ts', tfjs: 'src/tfjs/index.ts' },
  splitting: true,
  format: ['esm', 'cjs'],
  dts: { compilerOptions: { stripInternal: true } },
  shims: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
});
