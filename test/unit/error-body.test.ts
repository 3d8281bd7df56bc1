import { parsePriceCsv } from '../../src/adapters/market-data/csv-market-data.provider';
import { classifyErrorBody } from '../../src/domain/error-body';
import { MarketDataError } from '../../src/domain/errors';

describe('classifyErrorBody: a body that is not price data', () => {
  it("names Alpha Vantage's error document with its own message", () => {
    const body =
      '{\n    "Error Message": "Invalid API call. Please retry or visit the documentation (https://www.alphavantage.co/documentation/) for TIME_SERIES_DAILY_ADJUSTED."\n}';
    expect(classifyErrorBody(body)).toEqual({
      kind: 'error-document',
      reason:
        'is an error document from the provider: Invalid API call. Please retry or visit the documentation (https://www.alphavantage.co/documentation/) for TIME_SERIES_DAILY_ADJUSTED.',
    });
  });

  it('tells a rate-limit notice, another JSON document and broken JSON apart', () => {
    expect(
      classifyErrorBody(
        '{"Note": "Thank you for using Alpha Vantage! Our standard API call frequency is 5 calls per minute."}',
      ),
    ).toMatchObject({
      kind: 'notice',
      reason: expect.stringMatching(/^is a provider notice instead of data \(rate limit\?\): Thank you/),
    });
    expect(classifyErrorBody('{"Information": "The **demo** API key is for demo purposes only."}')?.kind).toBe(
      'notice',
    );
    expect(classifyErrorBody('{"Meta Data": {"1. Information": "Daily Prices"}}')).toEqual({
      kind: 'json',
      reason: 'is a JSON document, not CSV: {"Meta Data": {"1. Information": "Daily Prices"}}',
    });
    expect(classifyErrorBody('{"Error Message": "cut off')?.kind).toBe('json');
  });

  it('recognises an HTML page, with its title, also after a BOM or junk bytes', () => {
    expect(
      classifyErrorBody('<!DOCTYPE html><html><head><title>503 Service Unavailable</title></head><body></body></html>'),
    ).toEqual({
      kind: 'html',
      reason: 'is an HTML page, not CSV: "503 Service Unavailable"',
    });
    expect(classifyErrorBody('\uFEFF  <html><body>oops</body></html>')).toEqual({
      kind: 'html',
      reason: 'is an HTML page, not CSV',
    });
    expect(classifyErrorBody('\u0000\u0001 this is not a csv file\n<html>oops</html>\n')?.kind).toBe('html');
  });

  it('calls an empty or blank body empty, and leaves CSV alone', () => {
    expect(classifyErrorBody('')?.kind).toBe('empty');
    expect(classifyErrorBody(' \r\n\n ')?.kind).toBe('empty');
    expect(
      classifyErrorBody('timestamp,open,high,low,close,adjusted_close,volume,dividend_amount,split_coefficient\n'),
    ).toBeNull();
    expect(
      classifyErrorBody('date,open,high,low,close,volume,Name\n2013-02-08,15.07,15.12,14.63,14.75,8407500,AAL\n'),
    ).toBeNull();
  });

  it('makes the CSV parser fail the file with that reason, and refuse a header without rows', () => {
    expect(() => parsePriceCsv('{"Error Message": "Invalid API call."}', 'KO.csv')).toThrow(
      new MarketDataError('KO.csv is an error document from the provider: Invalid API call.'),
    );
    expect(() => parsePriceCsv('<html><title>Bad gateway</title></html>', 'KO.csv')).toThrow(
      'KO.csv is an HTML page, not CSV: "Bad gateway"',
    );
    expect(() => parsePriceCsv('timestamp,open,high,low,close,adjusted_close,volume\r\n', 'KO.csv')).toThrow(
      'KO.csv is empty: a header and no rows',
    );
    expect(() => parsePriceCsv('', 'KO.csv')).toThrow(/^KO\.csv is empty: expected a header/);
  });
});
