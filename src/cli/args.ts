/** Argument parsers for the CLI that fail with clear Chinese messages. */
import { InvalidArgumentError } from 'commander';
import { InvalidDateError, parseIsoDate } from '../domain/calendar/dates';

export function positiveInt(name: string, max = 10_000) {
  return (value: string): number => {
    if (!/^\d+$/.test(value.trim())) throw new InvalidArgumentError(`${name}须为正整数，收到“${value}”`);
    const n = Number(value);
    if (n < 1 || n > max) throw new InvalidArgumentError(`${name}须在 1–${max} 之间，收到“${value}”`);
    return n;
  };
}

export function isoDateArg(value: string): string {
  try {
    return parseIsoDate(value);
  } catch (e) {
    if (e instanceof InvalidDateError) throw new InvalidArgumentError(e.message);
    throw e;
  }
}

export function hhmmArg(value: string): string {
  if (!/^([01]\d|2[0-3]):([0-5]\d)$/.test(value)) {
    throw new InvalidArgumentError(`时刻须为 HH:MM 格式，例如 18:00，收到“${value}”`);
  }
  return value;
}
