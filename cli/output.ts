/** One line on stdout. */
export function out(text: string): void {
  process.stdout.write(`${text}\n`);
}

/** Thousands separated with a comma, independent of locale. */
export function group(v: number): string {
  return String(v).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}
