/**
 * Machine Readable Zone (ICAO Doc 9303) reading and comparison with what the user declared.
 * Pure: takes OCR text (e.g. Rekognition DetectText lines), returns findings without PII in
 * any field that leaves the document-data task except through `documentNumber`, which the
 * caller turns into a keyed hash at once.
 *
 * Reading (`readMrz`):
 * 1. Candidate lines: every OCR line is upper-cased, stripped of spaces, `«` read as `<<`, and
 *    kept when it has the length of a TD3 (44) or TD1 (30) line; a line at most two characters
 *    short that ends in filler gets its filler back (OCR often drops trailing `<`).
 * 2. Windows of consecutive candidates are parsed with the `mrz` package: two 44-character lines
 *    starting with `P` (TD3, passport) or three 30-character lines starting with `I`, `A` or `C`
 *    (TD1, identity card).
 * 3. Common OCR confusions (O/0, I/1, B/8, S/5, Z/2, G/6 ...) are corrected only where the check
 *    digits confirm them: a parse with `mrz`'s autocorrection is accepted only when every check
 *    digit is then valid and no character outside the fields covered by check digits (names,
 *    codes) was changed.
 * 4. A TD3 second line one character too long (OCR read one glyph as two) is read when exactly
 *    one way of leaving a character out makes every check digit valid as read.
 *
 * Name rule (`mrzNameForm`, ICAO 9303 Part 3 §6.A "Transliterations recommended for use by
 * States", and Part 4 §4.6 for the name field): the declared name is upper-cased; letters with
 * diacritics lose them (É -> E), except the multi-letter transliterations ICAO lists:
 * Ä/Æ -> AE, Ö/Ø/Œ -> OE, Ü -> UE, Å -> AA, ß -> SS, Þ -> TH, Ĳ -> IJ, Ð/Đ -> D; apostrophes are
 * omitted; spaces, hyphens and commas become the filler `<`. The result must equal, character
 * for character, the MRZ name read as given names then surname (`ANNA<MARIA<ERIKSSON`) or as
 * surname then given names (`ERIKSSON<ANNA<MARIA`). A name one OCR misread or typo away (at
 * most one edit per five characters, `nameNearMatches`) is a near match, for a reviewer to judge;
 * a missing middle name or a different spelling beyond that is a mismatch; letter case cannot
 * be checked against the MRZ (upper case only) and folds. When the MRZ name field is full
 * (truncated per ICAO), the declared form must start with it.
 *
 * @example
 * ```ts
 * const mrz = readMrz(['P<GBRERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<', 'L898902C36GBR7408122F1204159ZE184226B<<<<<10']);
 * compareWithDeclared(mrz!, { fullName: 'Anna Maria Eriksson', dateOfBirth: '1974-08-12', nationality: 'GBR' }, new Date());
 * ```
 */
import { distance } from 'fastest-levenshtein';
import { parse } from 'mrz';

export type MrzFormat = 'TD1' | 'TD3';

/** What the MRZ says; `documentNumber`, names and birth date are PII: keep them inside the task. */
export interface MrzData {
  readonly format: MrzFormat;
  readonly documentCode: string;
  /** Issuing state as printed (`D` for Germany), without filler. */
  readonly issuingState: string;
  readonly documentNumber: string;
  /** YYMMDD */
  readonly birthDate: string;
  /** YYMMDD */
  readonly expirationDate: string;
  /** The raw name field without trailing filler, e.g. `ERIKSSON<<ANNA<MARIA`. */
  readonly nameField: string;
  /** True when the name field has no trailing filler (the name may have been truncated). */
  readonly nameTruncated: boolean;
  /** True when OCR confusions were corrected (confirmed by the check digits). */
  readonly corrected: boolean;
}

export type MrzMismatch = 'name' | 'date_of_birth' | 'nationality';

export interface MrzComparison {
  readonly expired: boolean;
  readonly mismatches: readonly MrzMismatch[];
  /**
   * Fields that differ only as a misread would (`name`: see `nameNearMatches`): not a clear
   * failure, so not a mismatch; the case goes to a person.
   */
  readonly nearMatches: readonly MrzMismatch[];
}

export interface DeclaredIdentity {
  readonly fullName: string;
  /** YYYY-MM-DD */
  readonly dateOfBirth: string;
  /** ISO 3166-1 alpha-3, e.g. `GBR`. */
  readonly nationality: string;
}

const TD3_LENGTH = 44;
const TD1_LENGTH = 30;
/** Fields whose characters check digits confirm; autocorrection elsewhere is refused. */
const CHECKED_FIELDS = new Set(['documentNumber', 'birthDate', 'expirationDate', 'personalNumber', 'optional1']);

/** ICAO 9303 check digit: weights 7, 3, 1; digits as is, A-Z as 10-35, filler as 0. */
export function mrzCheckDigit(value: string): string {
  const weights = [7, 3, 1];
  let sum = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    let v = 0;
    if (c >= 48 && c <= 57) v = c - 48;
    else if (c >= 65 && c <= 90) v = c - 55;
    sum += v * (weights[i % 3] as number);
  }
  return String(sum % 10);
}

/** Normalises OCR lines into MRZ candidate lines (see step 1 of the module comment). */
export function mrzCandidateLines(ocrLines: readonly string[]): string[] {
  const out: string[] = [];
  for (const raw of ocrLines) {
    const line = raw
      .toUpperCase()
      .replace(/«/g, '<<')
      .replace(/\s+/g, '')
      .replace(/[^A-Z0-9<]/g, '');
    const name = normaliseNameLine(line);
    if (name !== undefined) {
      if (name !== '') out.push(name);
      continue;
    }
    for (const length of [TD3_LENGTH, TD1_LENGTH]) {
      if (line.length === length) out.push(line);
      else if (line.length < length && line.length >= length - 2 && line.endsWith('<')) {
        out.push(line.padEnd(length, '<'));
      }
    }
    // A TD3 second line with one character too many (OCR read one glyph as two): `readMrz` tries it.
    if (line.length === TD3_LENGTH + 1 && line.includes('<')) out.push(line);
  }
  return out;
}

/**
 * The readings of a TD3 window whose second line has one character too many: every line with
 * one character left out, each parsed as read (no further correction). The line is kept only
 * when exactly one reading passes all five check digits (the composite digit covers nearly the
 * whole line, so a wrong deletion passing them all is rare, and two that pass are refused as
 * ambiguous): OCR inserts a character, e.g. an `O` beside a `0` or an `I` after the state.
 */
function parseWithInsertion(first: string, second: string): MrzData | undefined {
  const readings = new Map<string, MrzData>();
  for (let at = 0; at < second.length; at++) {
    const candidate = second.slice(0, at) + second.slice(at + 1);
    const data = parseWindow('TD3', [first, candidate], false);
    if (data)
      readings.set(`${data.documentNumber}|${data.birthDate}|${data.expirationDate}|${data.issuingState}`, data);
  }
  if (readings.size !== 1) return undefined;
  const [data] = readings.values();
  return { ...(data as MrzData), corrected: true };
}

/**
 * OCR often reads the filler `<` of a name line as `K`, `I`, `L` or splits it into extra
 * characters. A name never holds `<<<` (`<<` separates surname and given names, `<` the parts
 * of a name), so everything after the first `<<<` of a name line is filler: it is rewritten as
 * `<` to the line's length. Name lines are a TD3 line 1 (`P` + state + name, 44) and a TD1
 * line 3 (letters and `<` only, 30). Other lines are left alone: their check digits guard them.
 */
function normaliseNameLine(line: string): string | undefined {
  const filler = line.indexOf('<<<');
  if (filler < 0) return undefined;
  // Digits never occur in a name: OCR misread it (0 for O, 1 for I), and no check digit can tell
  // which letters are right. Such a line is dropped, so the document reads as unreadable and goes
  // to a person instead of being rejected for a mismatch the OCR made up.
  if (/^P[A-Z<]{4}/.test(line) && /[0-9]/.test(line.slice(5, filler))) return '';
  if (/^P[A-Z<][A-Z<]{3}/.test(line) && filler >= 7 && line.length >= TD3_LENGTH - 2) {
    return line.slice(0, filler).padEnd(TD3_LENGTH, '<').slice(0, TD3_LENGTH);
  }
  if (/^[A-Z<]+$/.test(line) && line.includes('<<') && filler >= 2 && Math.abs(line.length - TD1_LENGTH) <= 6) {
    return line.slice(0, filler).padEnd(TD1_LENGTH, '<').slice(0, TD1_LENGTH);
  }
  return undefined;
}

/** Finds and parses the MRZ in OCR lines; undefined when no window has valid check digits. */
export function readMrz(ocrLines: readonly string[]): MrzData | undefined {
  const lines = mrzCandidateLines(ocrLines);
  for (let i = 0; i < lines.length; i++) {
    const first = lines[i] as string;
    const windows: Array<[MrzFormat, string[]]> = [];
    if (first.length === TD3_LENGTH && first.startsWith('P') && lines[i + 1]?.length === TD3_LENGTH) {
      windows.push(['TD3', [first, lines[i + 1] as string]]);
    }
    if (
      first.length === TD1_LENGTH &&
      /^[IAC]/.test(first) &&
      lines[i + 1]?.length === TD1_LENGTH &&
      lines[i + 2]?.length === TD1_LENGTH
    ) {
      windows.push(['TD1', [first, lines[i + 1] as string, lines[i + 2] as string]]);
    }
    for (const [format, window] of windows) {
      const data = parseWindow(format, window);
      if (data) return data;
    }
    if (first.length === TD3_LENGTH && first.startsWith('P') && lines[i + 1]?.length === TD3_LENGTH + 1) {
      const data = parseWithInsertion(first, lines[i + 1] as string);
      if (data) return data;
    }
  }
  return undefined;
}

function parseWindow(format: MrzFormat, window: string[], allowAutocorrect = true): MrzData | undefined {
  for (const autocorrect of allowAutocorrect ? [false, true] : [false]) {
    let result: ReturnType<typeof parse>;
    try {
      result = parse(window, { autocorrect });
    } catch {
      return undefined;
    }
    if (result.format !== format) return undefined;
    const checksValid = result.details
      .filter((d) => d.field?.endsWith('CheckDigit'))
      .every((d) => d.valid && d.value !== null);
    if (!checksValid) continue;
    const corrections = result.details.filter((d) => d.autocorrect.length > 0);
    if (corrections.some((d) => !d.field || !CHECKED_FIELDS.has(d.field))) continue;
    const f = result.fields;
    const corrected = corrections.length > 0;
    const fixedLines = [...window];
    for (const d of corrections) {
      for (const c of d.autocorrect) {
        const line = fixedLines[c.line] as string;
        fixedLines[c.line] = line.slice(0, c.column) + c.corrected + line.slice(c.column + 1);
      }
    }
    const nameRaw = format === 'TD3' ? (fixedLines[0] as string).slice(5) : (fixedLines[2] as string);
    const documentNumber = result.documentNumber ?? f.documentNumber;
    if (!documentNumber || !f.birthDate || !f.expirationDate) continue;
    const issuingRaw = (fixedLines[0] as string).slice(2, 5);
    return {
      format,
      documentCode: (f.documentCode ?? (fixedLines[0] as string).slice(0, 2)).replace(/<+$/, ''),
      issuingState: issuingRaw.replace(/<+$/, ''),
      documentNumber,
      birthDate: f.birthDate,
      expirationDate: f.expirationDate,
      nameField: nameRaw.replace(/<+$/, ''),
      nameTruncated: !nameRaw.endsWith('<'),
      corrected,
    };
  }
  return undefined;
}

const TRANSLITERATIONS: Readonly<Record<string, string>> = {
  Ä: 'AE',
  Æ: 'AE',
  Ö: 'OE',
  Ø: 'OE',
  Œ: 'OE',
  Ü: 'UE',
  Å: 'AA',
  ß: 'SS',
  ẞ: 'SS',
  Þ: 'TH',
  Ĳ: 'IJ',
  Ð: 'D',
  Đ: 'D',
  Ł: 'L',
  Ħ: 'H',
  İ: 'I',
  ı: 'I',
};

/**
 * The declared name in MRZ characters (rule in the module comment), or undefined when it holds
 * characters outside the Latin script that ICAO transliteration tables here do not cover.
 */
export function mrzNameForm(name: string): string | undefined {
  let out = '';
  for (const ch of name.toUpperCase()) {
    const mapped = TRANSLITERATIONS[ch] ?? TRANSLITERATIONS[ch.toUpperCase()];
    if (mapped) {
      out += mapped;
      continue;
    }
    if (ch === "'" || ch === '’' || ch === '.') continue;
    if (ch === ' ' || ch === '-' || ch === ',') {
      out += '<';
      continue;
    }
    const base = ch.normalize('NFD').replace(/\p{M}/gu, '');
    if (/^[A-Z]$/.test(base)) out += base;
    else return undefined;
  }
  return out;
}

/** ISO 3166-1 alpha-3 code for an MRZ issuing state (ICAO uses `D` for Germany). */
export function isoStateCode(mrzState: string): string {
  return mrzState === 'D' ? 'DEU' : mrzState;
}

/** Normalised document number for keyed hashing: upper case, no filler, spaces or dashes. */
export function normaliseDocumentNumber(documentNumber: string): string {
  return documentNumber.toUpperCase().replace(/[<\s-]/g, '');
}

/** Expiry of the MRZ as a UTC date string (YYYY-MM-DD); MRZ expiry years are 20YY. */
export function mrzExpiryDate(expirationDate: string): string {
  return `20${expirationDate.slice(0, 2)}-${expirationDate.slice(2, 4)}-${expirationDate.slice(4, 6)}`;
}

/**
 * Compares MRZ data with the declared identity: name (exact, rule above), date of birth
 * (YYMMDD), issuing state against the declared nationality, and expiry against `today` (a
 * document is valid through its expiry date).
 */
export function compareWithDeclared(mrz: MrzData, declared: DeclaredIdentity, today: Date): MrzComparison {
  const mismatches: MrzMismatch[] = [];
  const nearMatches: MrzMismatch[] = [];
  if (!nameMatches(mrz, declared.fullName)) {
    if (nameNearMatches(mrz, declared.fullName)) nearMatches.push('name');
    else mismatches.push('name');
  }
  const dob = /^(\d{2})(\d{2})-(\d{2})-(\d{2})$/.exec(declared.dateOfBirth);
  if (!dob || `${dob[2]}${dob[3]}${dob[4]}` !== mrz.birthDate) mismatches.push('date_of_birth');
  if (isoStateCode(mrz.issuingState) !== declared.nationality.toUpperCase()) mismatches.push('nationality');
  const todayText = today.toISOString().slice(0, 10);
  const expired = mrzExpiryDate(mrz.expirationDate) < todayText;
  return { expired, mismatches, nearMatches };
}

/** The MRZ name read as given names then surname, and as surname then given names. */
function nameForms(mrz: MrzData): string[] {
  const separator = mrz.nameField.indexOf('<<');
  const surname = separator === -1 ? mrz.nameField : mrz.nameField.slice(0, separator);
  const given = separator === -1 ? '' : mrz.nameField.slice(separator + 2);
  return given ? [`${given}<${surname}`, `${surname}<${given}`] : [surname];
}

function nameMatches(mrz: MrzData, fullName: string): boolean {
  const declared = mrzNameForm(fullName);
  if (!declared) return false;
  return nameForms(mrz).some((form) => (mrz.nameTruncated ? declared.startsWith(form) : declared === form));
}

/** Edits (Levenshtein) per character a near match may have: one in five, at least one. */
const NEAR_MATCH_EDITS_PER_CHARACTER = 0.2;

/**
 * Whether the declared name differs from the MRZ name only as an OCR misread or a typo would:
 * at most one edit (a letter inserted, dropped or changed) per five characters of the MRZ form,
 * at least one. The MRZ name field has no check digit, so a misread letter there (`AOIFE` read
 * as `AOQOIFE`) is indistinguishable from a different name; a clear failure it is not. Such a
 * case goes to a reviewer, who compares the document with the declared name, instead of being
 * rejected (and counted towards the cooldown). A name with no transliteration, or further off,
 * is a mismatch.
 */
export function nameNearMatches(mrz: MrzData, fullName: string): boolean {
  const declared = mrzNameForm(fullName);
  if (!declared) return false;
  return nameForms(mrz).some((form) => {
    const compared = mrz.nameTruncated ? declared.slice(0, form.length) : declared;
    const allowed = Math.max(1, Math.floor(form.length * NEAR_MATCH_EDITS_PER_CHARACTER));
    return distance(compared, form) <= allowed;
  });
}
