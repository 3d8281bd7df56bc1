import { BadInputError } from './errors';

/**
 * The one rule for a ticker symbol, used by config, API, CLI, workflows and
 * the domain alike: a letter, then up to 14 letters, digits, `.` or `-`
 * (AAPL, BRK.B, BF-B), written in any case and stored upper-cased. No zod
 * here: the web app's forms import this file (the edges' zod schema is in
 * ticker-symbol.schema.ts).
 */
export const TICKER_SYMBOL_PATTERN = /^[A-Z][A-Z0-9.-]{0,14}$/;

/** What a refused symbol is told: `"AAPL$" is not a ticker symbol (...)`. */
export const NOT_A_TICKER_SYMBOL = 'not a ticker symbol (letters, digits, "." or "-", e.g. AAPL or BRK.B)';

/** Whether `value` (already upper-cased and trimmed) is a ticker symbol. */
export function isTickerSymbol(value: string): boolean {
  return TICKER_SYMBOL_PATTERN.test(value);
}

/** `value` as a ticker symbol, or a BadInputError naming `field`. */
export function parseTickerSymbol(value: unknown, field = 'ticker'): string {
  const symbol = typeof value === 'string' ? value.trim().toUpperCase() : '';
  if (!isTickerSymbol(symbol))
    throw new BadInputError(`${field}: ${JSON.stringify(value)} is ${NOT_A_TICKER_SYMBOL}`, { field });
  return symbol;
}

/** Ticker symbols, upper-cased and de-duplicated in order; at least one. */
export function parseTickerSymbols(values: readonly unknown[], field = 'tickers'): string[] {
  const symbols = [...new Set(values.map((v) => parseTickerSymbol(v, field)))];
  if (symbols.length === 0) throw new BadInputError(`${field}: give at least one ticker`, { field });
  return symbols;
}
