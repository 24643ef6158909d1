import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Resvg as ResvgClass } from '@resvg/resvg-js';
import type { Chart } from './report.ts';
import { FONT_FAMILY } from './svg.ts';

/**
 * PNG copies of the report's drawings, for slides and CI artifacts, drawn by resvg (@resvg/resvg-js)
 * with DejaVu Sans only (Debian `fonts-dejavu-core`): no system font lookup, so the same SVG gives
 * the same PNG on every machine with that font file. resvg uses `font_family` only where an element
 * names none (thx/resvg-js PR #208), and every chart names DejaVu Sans on its root (svg.ts); a font
 * it cannot find would silently drop the text (linebender/resvg#159), hence the check below.
 */

/** Where Debian's fonts-dejavu-core puts the regular face (the bold one, for titles, sits beside it). */
export const DEJAVU_SANS_TTF = '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf';

/** A PNG that cannot be drawn: the font is missing. One line. */
export class PngError extends Error {
  override readonly name = 'PngError';
}

/** One SVG as PNG bytes, at its own size. */
export function svgToPng(svg: string, fontFile: string = DEJAVU_SANS_TTF): Buffer {
  if (!existsSync(fontFile))
    throw new PngError(
      `${fontFile} is missing (apt-get install fonts-dejavu-core): PNGs need its DejaVu Sans`,
    );
  const bold = fontFile.replace(/\.ttf$/, '-Bold.ttf');
  // Required at the first PNG, not imported: every `hasim` command loads this module.
  const { Resvg } = createRequire(import.meta.url)('@resvg/resvg-js') as { Resvg: typeof ResvgClass };
  const resvg = new Resvg(svg, {
    background: 'white',
    font: {
      fontFiles: existsSync(bold) ? [fontFile, bold] : [fontFile],
      loadSystemFonts: false,
      defaultFontFamily: FONT_FAMILY,
      sansSerifFamily: FONT_FAMILY,
    },
  });
  return resvg.render().asPng();
}

/** Writes `<dir>/png/<chart id>.png` for each chart; returns the paths, in the charts' order. */
export function writePngs(dir: string, charts: readonly Chart[], fontFile?: string): string[] {
  const pngDir = join(dir, 'png');
  mkdirSync(pngDir, { recursive: true });
  return charts.map((c) => {
    const path = join(pngDir, `${c.id}.png`);
    writeFileSync(path, svgToPng(c.svg, fontFile));
    return path;
  });
}
