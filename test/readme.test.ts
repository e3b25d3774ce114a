// README.md's TypeScript cannot rot: every ```ts block is a complete program, type-checked here
// (strict) against the built package's types, dist/index.d.ts, as a user's editor would see them.
// A block that only shows signatures is fenced ```ts signature and skipped (CONTRIBUTING.md).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = join(__dirname, '..');

interface Block {
  line: number; // of the opening fence, 1-based
  info: string;
  code: string;
}

/** The fenced code blocks of a Markdown text (``` or ~~~ fences, CommonMark's closing rule). */
function fencedBlocks(markdown: string): Block[] {
  const lines = markdown.split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^ {0,3}(`{3,}|~{3,})(.*)$/.exec(lines[i]);
    if (!open) continue;
    const [, fence, info] = open;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const close = /^ {0,3}(`{3,}|~{3,})\s*$/.exec(lines[j]);
      if (close && close[1][0] === fence[0] && close[1].length >= fence.length) break;
      body.push(lines[j]);
    }
    blocks.push({ line: i + 1, info: info.trim(), code: body.join('\n') });
    i = j;
  }
  return blocks;
}

const TS_LANGUAGES = new Set(['ts', 'typescript', 'tsx', 'mts', 'cts']);
const language = (b: Block) => b.info.split(/\s+/)[0].toLowerCase();
const isSignature = (b: Block) => b.info.split(/\s+/).slice(1).includes('signature');

/** Type-checks each block as its own module; returns the diagnostics per block. */
function typeCheck(blocks: Block[]): Map<Block, string[]> {
  const dir = join(root, '.readme-blocks'); // never written: the host below serves these files
  const files = new Map(blocks.map((b) => [join(dir, `line-${b.line}.ts`), b]));
  const options: ts.CompilerOptions = {
    strict: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    moduleDetection: ts.ModuleDetectionKind.Force,
    lib: ['lib.es2023.d.ts'],
    types: ['node'],
    typeRoots: [join(root, 'node_modules', '@types')],
    paths: { 'fused-optim': [join(root, 'dist', 'index.d.ts')] },
    skipLibCheck: true,
    noEmit: true,
  };
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.fileExists = (f) => files.has(f) || fileExists(f);
  host.readFile = (f) => files.get(f)?.code ?? readFile(f);
  host.getSourceFile = (f, version, ...rest) => {
    const block = files.get(f);
    return block ? ts.createSourceFile(f, block.code, version, true) : getSourceFile(f, version, ...rest);
  };
  const program = ts.createProgram([...files.keys()], options, host);
  const out = new Map<Block, string[]>(blocks.map((b) => [b, []]));
  for (const d of ts.getPreEmitDiagnostics(program)) {
    const block = d.file ? files.get(d.file.fileName) : undefined;
    const message = ts.flattenDiagnosticMessageText(d.messageText, '\n');
    if (!block || !d.file || d.start === undefined) {
      for (const list of out.values()) list.push(message); // a global problem (options, lib) concerns all
      continue;
    }
    const { line } = d.file.getLineAndCharacterOfPosition(d.start);
    out.get(block)?.push(`README.md:${block.line + 1 + line}: ${message}`);
  }
  return out;
}

describe('README.md TypeScript blocks', () => {
  const blocks = fencedBlocks(readFileSync(join(root, 'README.md'), 'utf8')).filter((b) => TS_LANGUAGES.has(language(b)));
  const programs = blocks.filter((b) => !isSignature(b));

  it('the extractor finds fenced blocks, their info strings and their lines', () => {
    const sample = fencedBlocks('text\n```ts signature\nf(x)\n```\n````md\n```ts\nnot a block\n```\n````\n~~~ts\nok\n~~~\n');
    expect(sample).toEqual([
      { line: 2, info: 'ts signature', code: 'f(x)' },
      { line: 5, info: 'md', code: '```ts\nnot a block\n```' },
      { line: 10, info: 'ts', code: 'ok' },
    ]);
  });

  it('are fenced ```ts (a complete program) or ```ts signature, and most are programs', () => {
    expect(blocks.filter((b) => language(b) !== 'ts').map((b) => `line ${b.line}: ${b.info}`)).toEqual([]);
    expect(programs.length).toBeGreaterThanOrEqual(blocks.length / 2);
  });

  it('the checker reports errors: a block with an undefined name and a wrong type fails', () => {
    expect(existsSync(join(root, 'dist', 'index.d.ts'))).toBe(true);
    const bad: Block = { line: 1, info: 'ts', code: "import { AdamW } from 'fused-optim';\nnew AdamW(params, { lr: '1' });" };
    const good: Block = { line: 5, info: 'ts', code: "import { AdamW } from 'fused-optim';\nnew AdamW([], { lr: 1 });" };
    const found = typeCheck([bad, good]);
    expect(found.get(bad)).toEqual([
      "README.md:3: Cannot find name 'params'.",
      "README.md:3: Type 'string' is not assignable to type 'number'.",
    ]);
    expect(found.get(good)).toEqual([]);
  });

  it('every ```ts block type-checks against dist/index.d.ts in strict mode', () => {
    const found = typeCheck(programs);
    expect([...found.values()].flat()).toEqual([]);
  });
});
