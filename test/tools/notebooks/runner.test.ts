import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JSDOM } from 'jsdom';
import { afterAll, describe, expect, it } from 'vitest';
import { buildNotebooks, readNotebooks, rewriteHref } from '#tools/notebooks/build.ts';
import { CellError, splitImports } from '#tools/notebooks/cells.ts';
import { prefixIds } from '#tools/notebooks/figures.ts';
import { ROOT } from '../../helpers/cli.ts';

// The notebook runner on small notebooks of its own (two short incident scenarios, well under a
// second of simulation each): every cell runs and shows something, the pages are the same bytes
// twice, and a failing cell stops the build with one line naming the notebook and the cell. The
// repository's own notebooks are built in full by test/slow/notebooks.test.ts.

const sources = mkdtempSync(join(tmpdir(), 'hasim-notebooks-'));
// Inside the repository, so that the generated cell modules resolve `#src/*` and `#sim/*`.
const work = join(ROOT, 'out', `test-notebooks-${process.pid}`);
afterAll(() => {
  rmSync(sources, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
});

const LIMITER = `# A. Limits

The fixed window admits twice its limit across an edge.

\`\`\`hasim show=expectations,limiting,summary variant=article
hasim run scenarios/incidents/fixed-window-edge.yaml
\`\`\`

Now by hand, on virtual time:

\`\`\`ts
import { Simulation } from '#sim/index.ts';

const sim = new Simulation({ seed: 3 });
sim.spawn(async () => {
  await sim.clock.sleep(1500);
  console.log('woke at', sim.clock.now());
});
await sim.run();
console.log('hash', sim.traceHash.slice(0, 8));
nb.table(['n', 'square'], [[2, 4], [3, 9]]);
\`\`\`

See [the next one](b-breaker.md).
`;

const BREAKER = `# B. Breaker

\`\`\`ts
const run = await nb.run('scenarios/incidents/llm-latency-spike.yaml', { variant: 'article' });
const open = run.digest.breaker.find((c) => c.next === 'OPEN');
nb.pause(run, open?.t ?? 0, 'opens', { beforeMs: 500, afterMs: 500 });
\`\`\`

\`\`\`yaml
shown: only
\`\`\`

\`\`\`hasim show=breaker variant=article
hasim run scenarios/incidents/llm-latency-spike.yaml
\`\`\`
`;

function folder(name: string, notebooks: Record<string, string>): string {
  const dir = join(sources, name);
  mkdirSync(dir);
  for (const [file, text] of Object.entries(notebooks)) writeFileSync(join(dir, file), text);
  return dir;
}

const buildAll = (sourceDir: string) =>
  buildNotebooks({ rootDir: ROOT, sourceDir, pagesDir: join(ROOT, 'docs', 'notebooks'), workDir: work });
const build = async (sourceDir: string) => (await buildAll(sourceDir)).pages;

describe('npm run notebooks: the runner', () => {
  const dir = folder('good', { 'a-limits.md': LIMITER, 'b-breaker.md': BREAKER, 'README.md': '# not one' });

  it('makes one page per notebook and the index, the same bytes twice', async () => {
    const first = await build(dir);
    expect([...first.keys()]).toEqual(['a-limits.html', 'b-breaker.html', 'index.html']);
    const second = await build(dir);
    expect(second).toEqual(first);
    for (const html of first.values())
      expect(html).not.toMatch(/\b20\d\d-\d\d-\d\d\b|\d\d:\d\d:\d\d|\/tmp\//);
  });

  it('runs every cell, in place, each with output; blocks of other languages are only shown', async () => {
    const pages = await build(dir);
    const doc = (name: string) => new JSDOM(pages.get(name)).window.document;
    const a = doc('a-limits.html');
    const cells = [...a.querySelectorAll('div.cell')];
    expect(cells.map((c) => c.id)).toEqual(['cell-1', 'cell-2']);
    expect(cells[0]?.querySelectorAll('.output svg')).toHaveLength(1);
    expect(cells[0]?.querySelector('.output table.expectations')?.textContent).toContain('✓');
    expect(cells[1]?.querySelector('.output pre.text')?.textContent).toMatch(
      /^woke at 1500\nhash [0-9a-f]{8}$/,
    );
    expect(cells[1]?.querySelector('.output table')?.textContent).toContain('square');
    const b = doc('b-breaker.html');
    expect(b.querySelectorAll('div.cell')).toHaveLength(2);
    expect(b.querySelector('.pause')?.textContent).toContain('breaker chatCompletion (RT)OPEN');
    expect(b.querySelector('code.language-yaml')?.textContent).toContain('shown: only');
    const index = doc('index.html');
    expect([...index.querySelectorAll('li a')].map((l) => l.getAttribute('href'))).toEqual([
      'a-limits.html',
      'b-breaker.html',
    ]);
  });

  it('rewrites links: another notebook to its page, a repository file relative to docs/notebooks', async () => {
    const html = (await build(dir)).get('a-limits.html') ?? '';
    expect(html).toContain('href="b-breaker.html"');
    const [from, to] = [join(ROOT, 'notebooks'), join(ROOT, 'docs', 'notebooks')];
    expect(rewriteHref('2-limiter.md#why', from, to)).toBe('2-limiter.html#why');
    expect(rewriteHref('../docs/sentinel.md', from, to)).toBe('../sentinel.md');
    expect(rewriteHref('../src/sentinel/index.ts', from, to)).toBe('../../src/sentinel/index.ts');
    expect(rewriteHref('README.md', from, to)).toBe('../../notebooks/README.md');
    expect(rewriteHref('https://x.org/a.md', from, to)).toBe('https://x.org/a.md');
    expect(rewriteHref('#top', from, to)).toBe('#top');
    expect(rewriteHref('index.html', from, to)).toBe('index.html');
  });

  it('keeps every id unique on a page that shows the same chart twice', async () => {
    const twice = folder('twice', {
      'c.md':
        '# C\n\n```hasim show=breaker,timeseries\nhasim run scenarios/incidents/llm-latency-spike.yaml\n```\n',
    });
    const doc = new JSDOM((await build(twice)).get('c.html')).window.document;
    expect(doc.querySelectorAll('svg')).toHaveLength(4);
    const ids = [...doc.querySelectorAll('[id]')].map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('npm run notebooks: figures saved for the README', () => {
  it('a cell saves a standalone SVG under docs/img/ (not written by the build itself), and nothing else', async () => {
    const dir = folder('save', {
      's.md':
        "# S\n\n```ts\nconst run = await nb.run('scenarios/incidents/llm-latency-spike.yaml', { variant: 'article' });\nnb.save(run, 'breaker', 'docs/img/test-breaker.svg');\n```\n",
    });
    const { files, pages } = await buildAll(dir);
    expect([...files.keys()]).toEqual(['docs/img/test-breaker.svg']);
    expect(files.get('docs/img/test-breaker.svg')).toMatch(
      /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" id="diagram-breaker"/,
    );
    expect(pages.get('s.html')).toContain('saved as docs/img/test-breaker.svg');
    const bad = folder('save-bad', {
      'b.md':
        "# B\n\n```ts\nconst run = await nb.run('scenarios/incidents/llm-latency-spike.yaml', { variant: 'article' });\nnb.save(run, 'breaker', '../x.svg');\n```\n",
    });
    await expect(buildAll(bad)).rejects.toThrow(
      'b.md cell 1 (line 3): save: ../x.svg: a notebook saves only docs/img/<name>.svg',
    );
  });
});

describe('npm run notebooks: a cell that fails', () => {
  const fails = async (text: string) => {
    const dir = folder(`bad-${Math.random().toString(36).slice(2)}`, { 'x-bad.md': text });
    try {
      await build(dir);
    } catch (error) {
      expect(error).toBeInstanceOf(CellError);
      return (error as Error).message.replace(dir, '<dir>');
    }
    throw new Error('the build did not fail');
  };

  it('a thrown error: one line naming the notebook, the cell and its line', async () => {
    const message = await fails(
      '# X\n\nprose\n\n```ts\nconsole.log(1);\n```\n\n```ts\nthrow new Error("boom\\nsecond line");\n```\n',
    );
    expect(message).toBe('<dir>/x-bad.md cell 2 (line 9): boom');
  });

  it('a scenario whose expectations fail, a missing file, a wrong option, a silent cell', async () => {
    expect(
      await fails(
        '# X\n\n```hasim verdict=fail\nhasim run scenarios/incidents/fixed-window-edge.yaml\n```\n',
      ),
    ).toMatch(
      /^<dir>\/x-bad\.md cell 1 \(line 3\): scenarios\/incidents\/fixed-window-edge\.yaml \[article\]: verdict pass, expected fail$/,
    );
    expect(await fails('# X\n\n```hasim\nhasim run scenarios/none.yaml\n```\n')).toMatch(
      /^<dir>\/x-bad\.md cell 1 \(line 3\): .*scenarios\/none\.yaml: cannot read scenario file \(no such file\)$/,
    );
    expect(
      await fails('# X\n\n```hasim show=pie\nhasim run scenarios/incidents/fixed-window-edge.yaml\n```\n'),
    ).toContain('cell 1 (line 3): show=pie: expected some of expectations, summary');
    expect(await fails('# X\n\n```ts\nconst x = 1;\n```\n')).toBe(
      '<dir>/x-bad.md cell 1 (line 3): the cell showed nothing',
    );
  });
});

describe('npm run notebooks: pieces', () => {
  it('splits a ts cell into its imports (one or several lines) and its body', () => {
    const { imports, body } = splitImports(
      "import { a } from 'x';\nimport {\n  b,\n} from \"y\";\n\nconst c = a + b;\nimport('z');",
    );
    expect(imports).toBe('import { a } from \'x\';\nimport {\n  b,\n} from "y";\n');
    expect(body).toBe("const c = a + b;\nimport('z');");
  });

  it('prefixes ids and the references to them, and nothing else', () => {
    const svg =
      '<svg id="c"><marker id="c-arrow"/><line marker-end="url(#c-arrow)"/><use href="#c"/><a href="#other"/></svg>';
    expect(prefixIds(svg, 'p-')).toBe(
      '<svg id="p-c"><marker id="p-c-arrow"/><line marker-end="url(#p-c-arrow)"/><use href="#p-c"/><a href="#other"/></svg>',
    );
  });
});
describe('the repository’s notebooks', () => {
  it('at least six, each with cells, each with its committed page under docs/notebooks/', () => {
    const notebooks = readNotebooks(join(ROOT, 'notebooks'));
    expect(notebooks.length).toBeGreaterThanOrEqual(6);
    for (const nb of notebooks) {
      expect(nb.cells.length, nb.name).toBeGreaterThan(0);
      expect(existsSync(join(ROOT, 'docs', 'notebooks', `${nb.name}.html`)), nb.name).toBe(true);
    }
    const pages = readdirSync(join(ROOT, 'docs', 'notebooks')).filter((f) => f.endsWith('.html'));
    expect(pages.sort()).toEqual([...notebooks.map((n) => `${n.name}.html`), 'index.html'].sort());
  });
});
