/**
 * Builds the redirect back to the client: parameters in the query (code flow, keeping any query
 * the registered URI has) or in the fragment (implicit flow), RFC 6749 §4.1.2 and §4.2.2.
 */
export function redirectTo(redirectUri: string, params: Record<string, string | undefined>, fragment: boolean): string {
  const defined = Object.entries(params).filter((e): e is [string, string] => e[1] !== undefined);
  const url = new URL(redirectUri);
  if (fragment) {
    url.hash = new URLSearchParams(defined).toString();
    return url.toString();
  }
  for (const [k, v] of defined) url.searchParams.append(k, v);
  return url.toString();
}
