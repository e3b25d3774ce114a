import { defineConfig } from 'tsup';

// One source, two module formats: dist/index.js (ESM) and dist/index.cjs (CommonJS), each with
// its own .d.ts. `shims` gives the CommonJS build a working import.meta.url for the addon loader.
// Declarations marked @internal (the planning machinery optimizers share) stay out of the .d.ts.
export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: { compilerOptions: { stripInternal: true } },
  shims: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
});
