/** Generated MRZ lines for workflow tests (check digits computed per ICAO 9303). */
import { mrzCheckDigit } from '../../lambdas/domain/mrz.ts';

/** TD3 MRZ lines for the seeded declared identity (Anna Maria Eriksson, GBR, 1974-08-12). */
export function passportMrz(options: { expiry?: string; name?: string; number?: string } = {}): string[] {
  const number = (options.number ?? 'L898902C3').padEnd(9, '<');
  const dob = '740812';
  const expiry = options.expiry ?? '340415';
  const personal = 'ZE184226B<<<<<';
  const line1 = `P<GBR${options.name ?? 'ERIKSSON<<ANNA<MARIA'}`.padEnd(44, '<');
  const fields = `${number}${mrzCheckDigit(number)}GBR${dob}${mrzCheckDigit(dob)}F${expiry}${mrzCheckDigit(expiry)}${personal}${mrzCheckDigit(personal)}`;
  const composite = `${number}${mrzCheckDigit(number)}${dob}${mrzCheckDigit(dob)}${expiry}${mrzCheckDigit(expiry)}${personal}${mrzCheckDigit(personal)}`;
  return ['PASSPORT', line1, `${fields}${mrzCheckDigit(composite)}`];
}

/** TD1 (identity card) MRZ lines for the same declared identity, as printed on the card's back. */
export function idCardMrz(): string[] {
  const number = 'L898902C3';
  const optional1 = '<'.repeat(15);
  const dob = '740812';
  const expiry = '340415';
  const optional2 = '<'.repeat(11);
  const line1 = `I<GBR${number}${mrzCheckDigit(number)}${optional1}`;
  const upper = `${dob}${mrzCheckDigit(dob)}F${expiry}${mrzCheckDigit(expiry)}GBR${optional2}`;
  const composite = `${number}${mrzCheckDigit(number)}${optional1}${dob}${mrzCheckDigit(dob)}${expiry}${mrzCheckDigit(expiry)}${optional2}`;
  return [line1, `${upper}${mrzCheckDigit(composite)}`, 'ERIKSSON<<ANNA<MARIA'.padEnd(30, '<')];
}
