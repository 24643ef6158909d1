import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { group, LIMITS } from '#sim/limits.ts';
import { ROOT } from '../helpers/cli.ts';
import { cli } from './in-process.ts';

const doc = readFileSync(join(ROOT, 'docs/limits.md'), 'utf8');

describe('docs/limits.md', () => {
  it.each(Object.entries(LIMITS))('lists %s with its default, its flag and its verbs', (_, limit) => {
    const row = doc.split('\n').find((l) => l.includes(`\`${limit.flag}\``));
    expect(row, limit.flag).toBeDefined();
    expect(row).toContain(`${group(limit.defaultValue)} ${limit.unit}`);
    expect(row).toContain(`| ${limit.verbs.join(', ')} |`);
  });

  it('is linked from the README', () => {
    expect(readFileSync(join(ROOT, 'README.md'), 'utf8')).toContain('(docs/limits.md)');
  });

  it.each(['run', 'replay', 'hitrate', 'swarm', 'shrink'])(
    'each limit flag is in `hasim %s --help`',
    async (verb) => {
      const help = await cli([verb, '--help']);
      for (const limit of Object.values(LIMITS))
        if ((limit.verbs as readonly string[]).includes(verb)) expect(help.stdout).toContain(limit.flag);
    },
  );
});
