// Start-up cache for the `hasim` command: the TypeScript of cli/, sim/ and src/ bundled by esbuild
// into ES modules (the command and the swarm's worker thread, split so that each command loads only
// its own chunks and packages), rebuilt whenever a source file changes.
//
// Why: through tsx's loader every module is resolved and transpiled in a hooks thread, one message
// per import; a `hasim run` of the smoke scenario spent about 1.9 s of user CPU, ~1 s of it starting
// up. From the bundle it takes about 1.05 s. The code is the same code: esbuild only strips the types
// and joins the modules, so a run's trace is byte for byte the same (test/cli/bundle.test.ts).
//
// The bundle lives in node_modules/.cache/hasim/<hash>/ (the system's temp dir if that is not
// writable), named by a hash of every source file's path and bytes, package.json and
// package-lock.json (packages are imported by the file each resolves to), this file and the Node
// version, so a stale bundle is never used: an edit, a checkout or an install makes a new name.
// It is built into a directory of its own and renamed into place, so processes starting at once
// never read half a bundle. Packages stay external: each import names the file Node resolves it to
// from this checkout, so they load from node_modules as before. Each source file's
// `import.meta.url` is replaced by that file's own URL, so what a module finds next to itself (the
// Lua wasm, the swarm worker's entry, better-sqlite3) is still found in the source tree.
// HASIM_BUNDLE=0 turns it off, HASIM_BUNDLE_CACHE=DIR puts it elsewhere; if a bundle cannot be
// built, the sources load through tsx as before.
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
} from 'node:fs';
import { isBuiltin } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const SOURCE_DIRS = ['cli', 'sim', 'src'];
const SOURCE_FILE = /\.(ts|mts|mjs|js|json)$/;
/** The bundle's entry points: the command, and the swarm's worker thread (sim/swarm/worker-entry.mjs). */
const ENTRIES = { main: join(ROOT, 'cli', 'main.ts'), worker: join(ROOT, 'sim', 'swarm', 'worker.ts') };
/** Bundles kept per cache dir (other checkouts, other sources); older ones are removed. */
const KEEP_BUNDLES = 4;
/** A bundle (or a build) no process has started from for this long may be removed. */
const UNUSED_MS = 3_600_000;

function sourceFiles(dir, files = []) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) sourceFiles(path, files);
    else if (SOURCE_FILE.test(entry.name)) files.push(path);
  }
  return files;
}

function sourceHash() {
  const hash = createHash('sha256');
  const files = SOURCE_DIRS.flatMap((d) => sourceFiles(join(ROOT, d))).sort();
  // The lockfile too: the bundle imports packages by the file each one resolves to.
  const lock = join(ROOT, 'package-lock.json');
  const extra = [
    join(ROOT, 'package.json'),
    ...(existsSync(lock) ? [lock] : []),
    fileURLToPath(import.meta.url),
  ];
  for (const file of [...files, ...extra]) {
    hash.update(relative(ROOT, file));
    hash.update('\0');
    hash.update(readFileSync(file));
    hash.update('\0');
  }
  hash.update(ROOT);
  hash.update(process.version);
  return hash.digest('hex').slice(0, 20);
}

function cacheDir() {
  const uid = process.getuid?.() ?? 0;
  const candidates = process.env.HASIM_BUNDLE_CACHE
    ? [process.env.HASIM_BUNDLE_CACHE]
    : [join(ROOT, 'node_modules', '.cache', 'hasim'), join(tmpdir(), `hasim-bundle-${uid}`)];
  for (const dir of candidates) {
    try {
      mkdirSync(dir, { recursive: true });
      return dir;
    } catch {}
  }
  return undefined;
}

/**
 * esbuild plugin: a package import becomes the URL Node resolves it to from the source tree, so the
 * bundle loads the same files wherever its cache directory is (node_modules is found from ROOT).
 */
const packagesFromRoot = {
  name: 'hasim-packages-from-root',
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, (args) => {
      if (isBuiltin(args.path)) return { path: args.path, external: true };
      return { path: import.meta.resolve(args.path), external: true };
    });
  },
};

/** esbuild plugin: each source file's `import.meta.url` becomes that file's own URL. */
const ownUrl = {
  name: 'hasim-own-url',
  setup(build) {
    build.onLoad({ filter: /\.(ts|mts|mjs)$/ }, (args) => {
      if (args.path.includes(`${sep}node_modules${sep}`)) return undefined;
      const text = readFileSync(args.path, 'utf8').replaceAll(
        'import.meta.url',
        JSON.stringify(pathToFileURL(args.path).href),
      );
      return { contents: text, loader: args.path.endsWith('.mjs') ? 'js' : 'ts' };
    });
  },
};

/**
 * Removes bundles beyond the newest KEEP_BUNDLES that no process has started from for an hour
 * (a running process loads a command's chunks lazily, so a bundle in use must stay), and builds
 * abandoned as long.
 */
function prune(dir, keep) {
  const now = Date.now();
  const old = readdirSync(dir)
    .filter((f) => f !== keep)
    .map((f) => ({ f, t: statSync(join(dir, f)).mtimeMs }))
    .sort((a, b) => b.t - a.t);
  for (const { f, t } of old.slice(KEEP_BUNDLES - 1))
    if (now - t > UNUSED_MS) rmSync(join(dir, f), { recursive: true, force: true });
}

/**
 * The directory of an up-to-date bundle (main.js, worker.js and their chunks), building it if
 * needed; undefined when bundling is off or cannot be done here (the caller then uses tsx).
 */
export async function bundleDir() {
  if (process.env.HASIM_BUNDLE === '0') return undefined;
  try {
    const cache = cacheDir();
    if (cache === undefined) return undefined;
    const name = sourceHash();
    const dir = join(cache, name);
    if (existsSync(join(dir, 'main.js'))) {
      try {
        // Marks the bundle as in use, for prune() (a read-only cache just is not marked).
        const now = new Date();
        utimesSync(dir, now, now);
      } catch {}
      return dir;
    }
    const { build } = await import('esbuild');
    const building = `${dir}.${process.pid}.tmp`;
    rmSync(building, { recursive: true, force: true });
    await build({
      entryPoints: ENTRIES,
      bundle: true,
      splitting: true,
      platform: 'node',
      format: 'esm',
      target: `node${process.versions.node}`,
      outdir: building,
      chunkNames: 'chunk-[hash]',
      plugins: [packagesFromRoot, ownUrl],
      logLevel: 'silent',
    });
    try {
      renameSync(building, dir);
    } catch {
      // Another process renamed its build into place first: use that one.
      rmSync(building, { recursive: true, force: true });
      statSync(join(dir, 'main.js'));
    }
    prune(cache, name);
    return dir;
  } catch {
    return undefined;
  }
}
