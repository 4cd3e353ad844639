/** A file the importers cannot read, with a Chinese message saying why (nothing is written). */
export class InputFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputFormatError';
  }
}
