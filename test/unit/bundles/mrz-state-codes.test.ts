import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { parse, states } from 'mrz';
import { afterAll, describe, expect, it } from 'vitest';
import { bundlingExternals, lambdaBuildOptions, mrzStateCodes } from '../../../lib/bundling/lambda-bundle.ts';
import { mrzCheckDigit } from '../../../lambdas/domain/mrz.ts';

// A Lambda bundle loads mrz's state table as its codes alone (lib/bundling/lambda-bundle.ts):
// the parser only checks that a code is known. Here the bundled parser reads every state's
// passport as the package's own parser does, and refuses the same unknown codes.
const require = createRequire(import.meta.url);
const out = mkdtempSync(join(tmpdir(), 'kyc-mrz-bundle-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

/** TD3 lines of a passport issued by `state` to a national of `state` (check digits per ICAO 9303). */
function passportOf(state: string): string[] {
  const code = state.padEnd(3, '<');
  const number = 'L898902C3';
  const dob = '740812';
  const expiry = '340415';
  const personal = 'ZE184226B<<<<<';
  const digits = (field: string) => `${field}${mrzCheckDigit(field)}`;
  const composite = `${digits(number)}${digits(dob)}${digits(expiry)}${digits(personal)}`;
  return [
    `P<${code}ERIKSSON<<ANNA<MARIA`.padEnd(44, '<'),
    `${digits(number)}${code}${digits(dob)}F${digits(expiry)}${digits(personal)}${mrzCheckDigit(composite)}`,
  ];
}

/** The TypeScript and JavaScript files under `folder`, recursively. */
function sources(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sources(join(folder, entry.name))
      : /\.[cm]?[jt]s$/.test(entry.name)
        ? [join(folder, entry.name)]
        : [],
  );
}

describe('mrz state codes in a Lambda bundle', () => {
  it('keeps every code of the installed table, and no name', () => {
    // Act
    const module = mrzStateCodes(readFileSync(join(dirname(require.resolve('mrz')), 'generated', 'states.js'), 'utf8'));
    const table = JSON.parse(module.slice('export default Object.freeze('.length, -');'.length)) as Record<
      string,
      unknown
    >;

    // Assess
    expect(Object.keys(table)).toEqual(Object.keys(states));
    expect(Object.keys(table).length).toBeGreaterThan(250);
    expect(new Set(Object.values(table))).toEqual(new Set([true]));
    expect(module).not.toContain('Germany');
  });

  it("reads every state's passport as the package's own parser does, and refuses the same unknown codes", async () => {
    // Prepare
    const file = join(out, 'mrz.mjs');
    await build({
      ...lambdaBuildOptions(process.cwd(), { nodeModules: [], externalModules: bundlingExternals(false) }),
      stdin: { contents: "export { parse } from 'mrz';", resolveDir: process.cwd(), loader: 'js' },
      sourcemap: false,
      outfile: file,
    });
    const bundled = (await import(pathToFileURL(file).href)) as { parse: typeof parse };
    const codes = [...Object.keys(states), 'ZZZ', 'QQ', 'A<<', 'XYZ'];

    // Act
    const differing = codes.filter(
      (code) => JSON.stringify(bundled.parse(passportOf(code))) !== JSON.stringify(parse(passportOf(code))),
    );

    // Assess
    expect(readFileSync(file, 'utf8')).not.toContain('Afghanistan');
    expect(differing).toEqual([]);
    expect(parse(passportOf('D')).valid).toBe(true);
    expect(bundled.parse(passportOf('ZZZ')).valid).toBe(false);
  }, 60_000);

  it("is safe because no function reads a state's name: nothing under lambdas imports the table", () => {
    // Act
    const importers = sources('lambdas').filter((file) =>
      /import\s*\{[^}]*\bstates\b[^}]*\}\s*from\s*['"]mrz|mrz\/lib\/generated/.test(readFileSync(file, 'utf8')),
    );

    // Assess
    expect(importers).toEqual([]);
  });

  it('refuses a table of another shape rather than guess', () => {
    // Act + Assess
    expect(() => mrzStateCodes('const states = { AFG: "Afghanistan" };\nexport default states;')).toThrow(
      /not the table/,
    );
    expect(() =>
      mrzStateCodes('const states = {\n    "AFG": "Afghanistan",\n    "D1": "x"\n};\nexport default states;'),
    ).toThrow(/not the table/);
    expect(
      mrzStateCodes('const states = {\n    "AFG": "Afghanistan",\n    "D": "Germany"\n};\nexport default states;'),
    ).toBe('export default Object.freeze({"AFG":true,"D":true});');
  });
});
