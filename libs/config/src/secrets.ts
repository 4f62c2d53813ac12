/** Connection strings are printed with their password replaced, never in clear. */
export function maskUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    if (u.searchParams.has('password')) u.searchParams.set('password', '***'); // libpq's ?password=
    return u.toString();
  } catch {
    return url.replace(/\/\/([^:/@]*):.*@/, '//$1:***@'); // up to the last @: the password may hold / or @
  }
}
