/**
 * What every CLI command shares: configuration, a context with migrations applied, output,
 * and errors: exit code ≠ 0, one line on stderr, nothing on stdout.
 */
import dotenv from 'dotenv';
import type { Command } from 'commander';
import { loadConfig } from '../config';
import { createContext, type AppContext } from '../app/context';

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export interface Output {
  /** Writes a JSON document to stdout. */
  json(value: unknown): void;
  /** Writes lines of text to stdout. */
  text(...lines: string[]): void;
}

export const stdout: Output = {
  json: (value) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`),
  text: (...lines) => process.stdout.write(`${lines.join('\n')}\n`),
};

/** A one-line message for any error: the message of our errors, a short form of others. */
export function oneLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  // A list ("…:\n  - a\n  - b") becomes "…：a；b".
  return msg
    .replace(/[:：]\s*\n\s*-\s+/g, '：')
    .replace(/\s*\n\s*(?:-\s+)?/g, '；')
    .trim();
}

/**
 * Runs a command body with a context (migrations applied). Errors become one line on stderr
 * and a non-zero exit code. Bodies return what to print, and it is printed only on success,
 * so a failed command never leaves half a document on stdout.
 */
export async function runWithContext(body: (ctx: AppContext) => Promise<(() => void) | void>): Promise<void> {
  let ctx: AppContext | null = null;
  try {
    dotenv.config({ quiet: true });
    const config = loadConfig();
    ctx = await createContext(config);
    const print = await body(ctx);
    if (print) print();
  } catch (e) {
    if (e instanceof CliPartialFailure) {
      e.print();
      process.exitCode = e.exitCode;
    } else {
      process.stderr.write(`错误：${oneLine(e)}\n`);
      process.exitCode = e instanceof CliError ? e.exitCode : 1;
    }
  } finally {
    if (ctx) await ctx.close();
  }
}

/**
 * A failure that still prints a document (e.g. an import refused with the rejected rows):
 * the document goes to stdout, a one-line summary to stderr, and the exit code is ≠ 0.
 */
export class CliPartialFailure extends Error {
  constructor(
    message: string,
    private readonly document: () => void,
    readonly exitCode = 1,
  ) {
    super(message);
  }
  print(): void {
    this.document();
    process.stderr.write(`错误：${oneLine(this)}\n`);
  }
}

export type Register = (program: Command) => void;
