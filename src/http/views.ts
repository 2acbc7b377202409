import { Eta } from 'eta';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('./views', import.meta.url));

/** HTML pages: eta templates, escaped by default, cached after the first render. */
export const views = new Eta({ views: dir, cache: true, autoEscape: true });

export const stylesheet = readFileSync(`${dir}/style.css`, 'utf8');

export type Page = 'login' | 'consent' | 'error' | 'signed-out';

export function renderPage(page: Page, data: object): string {
  return views.render(page, data);
}
