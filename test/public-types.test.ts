// The published .d.ts (dist/, built by the pretest step): internals stay out, no two types share
// a name, and every option of every public options type says what it does (and its default).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const dts = readFileSync(join(__dirname, '..', 'dist', 'index.d.ts'), 'utf8');

/** Each `interface XxxOptions { ... }` of the .d.ts with its members and the comment above each. */
function optionInterfaces(): { name: string; members: { name: string; doc: string }[] }[] {
  const found = [];
  for (const m of dts.matchAll(/^interface (\w*Options)\b[^{]*\{\n([\s\S]*?)\n\}/gm)) {
    const lines = m[2].split('\n');
    const members = [];
    for (let i = 0; i < lines.length; i++) {
      const member = /^ {4}(\w+)\??: /.exec(lines[i]);
      if (!member) continue;
      let doc = '';
      for (let j = i - 1; j >= 0 && /^\s*(\/\*\*|\*)/.test(lines[j]); j--) doc = lines[j] + doc;
      members.push({ name: member[1], doc });
    }
    found.push({ name: m[1], members });
  }
  return found;
}

describe('the published type declarations', () => {
  it.each(['GroupCall', 'planByStep', 'StateMap', 'StreamCache', 'cacheFor', 'planGroup', 'DeferredBookkeeping', '_initialStep'])(
    'leave out the internal %s',
    (name) => expect(dts).not.toMatch(new RegExp(`\\b${name}\\b`)),
  );

  it('give no two types one name (the bundler would rename one to Name$1)', () => {
    expect(dts.match(/\b\w+\$\d+\b/g) ?? []).toEqual([]);
  });

  it('document every option of every public options type', () => {
    const interfaces = optionInterfaces();
    expect(interfaces.map((i) => i.name)).toEqual(expect.arrayContaining(['AdamOptions', 'SgdOptions', 'AdamCallOptions', 'StepOptions']));
    const undocumented = interfaces.flatMap((i) => i.members.filter((m) => m.doc === '').map((m) => `${i.name}.${m.name}`));
    expect(undocumented).toEqual([]);
  });

  it('give the default of every optimizer and scheduler option', () => {
    const optional = optionInterfaces().filter((i) => !i.name.endsWith('CallOptions'));
    const withoutDefault = optional.flatMap((i) =>
      i.members.filter((m) => !/default|required/i.test(m.doc)).map((m) => `${i.name}.${m.name}`),
    );
    expect(withoutDefault).toEqual([]);
  });
});
