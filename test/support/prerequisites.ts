/**
 * What a suite needs from the machine (a binary, a browser, a Galera provider) and does not have.
 * Without CI the suite is skipped, its title saying why, and Jest counts its tests as skipped;
 * under CI=true the suite fails instead, so that a green CI run means the suite ran.
 *
 * @example
 * describeWith(existsSync(CHROMIUM) ? undefined : `${CHROMIUM} is absent`)('the page in Chromium', () => { ... });
 */
export function describeWith(missing: string | undefined): (title: string, body: () => void) => void {
  if (missing === undefined) return (title, body) => describe(title, body);
  if (process.env.CI === 'true')
    return (title) =>
      describe(title, () => {
        it(`has its prerequisite (CI=true does not skip): ${missing}`, () => {
          throw new Error(`prerequisite missing under CI=true: ${missing}`);
        });
      });
  return (title, body) => describe.skip(`${title} (skipped: ${missing})`, body);
}
