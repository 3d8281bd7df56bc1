import { z } from 'zod';
import { NOT_A_TICKER_SYMBOL, TICKER_SYMBOL_PATTERN } from './ticker-symbol';

/** A ticker symbol as zod parses it at an edge: trimmed, upper-cased, checked. */
export const tickerSymbolSchema = z
  .string()
  .max(40)
  .trim()
  .toUpperCase()
  .regex(TICKER_SYMBOL_PATTERN, NOT_A_TICKER_SYMBOL)
  .describe('Ticker symbol, e.g. AAPL');
