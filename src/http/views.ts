import { Eta } from 'eta';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('./views', import.meta.url));

/** HTML pages: eta templates, escaped by default, cached after the first render. */
export const views = new Eta({ views: dir, cache: true, autoEscape: true });

export const stylesheet = readFileSync(`${dir}/style.css`, 'utf8');

export interface LoginView {
  clientName: string;
  csrf: string;
  /** The authorization request as a query string, carried through the form. */
  request: string;
  username: string;
  error: string | null;
}

export interface ConsentView {
  clientName: string;
  username: string;
  csrf: string;
  request: string;
  /** The authorization parameters, as hidden fields of the consent form. */
  params: [string, string][];
  scopes: { name: string; description: string; remembered: boolean; checked: boolean }[];
  /** Where the answer goes: the redirect URI's origin, shown so that the person knows. */
  returnTo: string;
  /** Shown above the form when the page is shown again without an answer. */
  notice: string | null;
}

export interface ErrorView {
  title: string;
  message: string;
  advice: string;
  /** The OAuth error code, for the developer. */
  code: string;
  requestId: string;
}

export interface PageData {
  login: LoginView;
  consent: ConsentView;
  error: ErrorView;
  'signed-out': Record<string, never>;
}

export type Page = keyof PageData;

export function renderPage<P extends Page>(page: P, data: PageData[P]): string {
  return views.render(page, data);
}
