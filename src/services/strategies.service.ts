import { BadInputError, ConflictError, ServiceUnavailableError } from '../domain/errors';
import type { PriceRepository, SavedStrategyRepository } from '../domain/ports';
import { describeStrategy, type StrategyDescription } from '../domain/strategies/describe-strategy';
import { checkLookAhead, type LookAheadReport } from '../domain/strategies/look-ahead';
import { refuseLookAhead } from '../config/look-ahead-on-load';
import {
  getStrategy,
  strategyOrigin,
  strategyRegistry,
  syncSavedStrategies,
  type StrategyOrigin,
} from '../domain/strategies/registry';
import { ruleStrategy, writtenRule } from '../domain/strategies/rules/rule-strategy';
import type { AnyStrategy, RawStrategyParams } from '../domain/strategies/strategy';

/** Most bars of a ticker the look-ahead check reads (it prepares the strategy once per day: quadratic). */
export const MAX_CHECK_BARS = 2000;

export interface StrategiesServiceDeps {
  /** Stored bars, for {@link StrategiesService.check} (503 without). */
  prices?: Pick<PriceRepository, 'bars'>;
  /** The configured tickers, checked when none are given. */
  defaultTickers: readonly string[];
  /** Saved rule strategies (POST /strategies); without it nothing can be saved and nothing is loaded. */
  saved?: SavedStrategyRepository;
  /** Told about a saved rule left out of the registry (its name is taken since it was saved). */
  warn?: (message: string) => void;
}

/** A registered strategy as GET /strategies lists it. */
export interface ListedStrategy extends StrategyDescription {
  origin: StrategyOrigin;
  /** The rule as written, for a rule strategy (config or saved); absent for one written in code. */
  rule?: unknown;
}

/** One ticker of a check: its report, or why it was not checked. */
export type TickerCheck =
  | { ticker: string; status: 'ok' | 'failed'; report: LookAheadReport }
  | { ticker: string; status: 'skipped'; reason: string };

/** What {@link StrategiesService.check} returns: a result per ticker. */
export interface StrategyCheckResult {
  strategy: string;
  version: number;
  tickers: TickerCheck[];
  /** Every checked ticker passed (no look-ahead, a sufficient lookback). */
  ok: boolean;
}

/** Checks on strategies (built-in or configured rules), saving rules, and keeping saved rules loaded; for the CLI, the API and the worker. */
export class StrategiesService {
  /** The saved rules loaded into the registry, by name: their versions and compiled strategies. */
  private readonly loaded = new Map<string, AnyStrategy>();
  private refreshing: Promise<void> | undefined;

  constructor(private readonly deps: StrategiesServiceDeps) {}

  /** Every registered strategy with where it comes from and, for a rule strategy, its rule as written. */
  list(): ListedStrategy[] {
    return [...strategyRegistry.values()].map((strategy) => {
      const rule = writtenRule(strategy);
      return {
        ...describeStrategy(strategy),
        origin: strategyOrigin(strategy.name) ?? 'configured',
        ...(rule === undefined ? {} : { rule }),
      };
    });
  }

  /**
   * A rule strategy checked and described without saving it (the rule
   * builder's live preview): its version, rule in words, parameters and
   * chart; BadInputError naming the rule's field when it is invalid.
   */
  preview(raw: unknown): StrategyDescription {
    return describeStrategy(ruleStrategy(raw));
  }

  /**
   * Saves a rule strategy (the JSON of the rule schema): checked (BadInputError
   * naming the rule's field), proved not to look ahead on the sample series
   * (refused with the first offending day), stored with the version of its
   * definition and registered at once. A name of a built-in or a configured
   * strategy is a ConflictError; saving a saved name again replaces that rule
   * (a changed definition gets a new version; recorded signals keep theirs).
   */
  async save(raw: unknown): Promise<{ strategy: ListedStrategy; created: boolean }> {
    const saved = this.requireSaved();
    const strategy = ruleStrategy(raw);
    const origin = strategyOrigin(strategy.name);
    if (origin === 'built-in' || origin === 'configured') {
      throw new ConflictError(`strategy name ${JSON.stringify(strategy.name)} is taken by a ${origin} strategy`);
    }
    refuseLookAhead(strategy);
    const { created } = await saved.save({ name: strategy.name, version: strategy.version, rule: raw });
    await this.refreshSaved();
    const listed = this.list().find((s) => s.name === strategy.name);
    if (!listed) throw new Error(`saved strategy ${strategy.name} did not load`);
    return { strategy: listed, created };
  }

  /**
   * {@link refreshSaved} only when one of `names` is not a registered
   * strategy: a command about built-ins, configured rules or plugins needs no
   * database (and its bad input is refused before one is asked).
   */
  async refreshSavedFor(names: ReadonlyArray<string | undefined>): Promise<void> {
    if (names.every((name) => name === undefined || strategyRegistry.has(name))) return;
    await this.refreshSaved();
  }

  /**
   * Brings the registry's saved rules to what is stored: reads every name and
   * version (one small query), then only the rules that are new or changed.
   * Concurrent calls share one refresh.
   */
  refreshSaved(): Promise<void> {
    if (!this.deps.saved) return Promise.resolve();
    this.refreshing ??= this.loadChanged(this.deps.saved).finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async loadChanged(saved: SavedStrategyRepository): Promise<void> {
    const versions = await saved.versions();
    const changed = versions.filter((v) => this.loaded.get(v.name)?.version !== v.version).map((v) => v.name);
    const stored = new Set(versions.map((v) => v.name));
    const inRegistry = [...this.loaded].every(([name, strategy]) => strategyRegistry.get(name) === strategy);
    if (changed.length === 0 && inRegistry && [...this.loaded.keys()].every((name) => stored.has(name))) return;
    for (const row of await saved.get(changed)) {
      try {
        const strategy = ruleStrategy(row.rule);
        refuseLookAhead(strategy);
        this.loaded.set(row.name, strategy);
      } catch (err) {
        if (!(err instanceof BadInputError)) throw err;
        this.deps.warn?.(`saved strategy ${row.name} is not loaded: ${err.message}`);
      }
    }
    for (const name of [...this.loaded.keys()]) if (!stored.has(name)) this.loaded.delete(name);
    const { refused } = syncSavedStrategies([...this.loaded.values()]);
    for (const name of refused)
      this.deps.warn?.(`saved strategy ${name} is not loaded: a configured strategy has its name`);
  }

  private requireSaved(): SavedStrategyRepository {
    if (!this.deps.saved) throw new ServiceUnavailableError('saving strategies needs the database');
    return this.deps.saved;
  }

  /**
   * The no-look-ahead proof of `strategy` on the stored bars of each ticker
   * (the last `bars`, default 500): see {@link checkLookAhead}.
   */
  async check(input: {
    strategy: string;
    params?: RawStrategyParams;
    tickers?: readonly string[];
    bars?: number;
  }): Promise<StrategyCheckResult> {
    const strategy = getStrategy(input.strategy);
    strategy.parseParams(input.params);
    const count = input.bars ?? 500;
    if (!Number.isInteger(count) || count < 2 || count > MAX_CHECK_BARS) {
      throw new BadInputError(`bars must be a whole number from 2 to ${MAX_CHECK_BARS} (got ${count})`, {
        field: 'bars',
      });
    }
    const { prices } = this.deps;
    if (!prices) throw new ServiceUnavailableError('checking a strategy needs the stored prices');
    const tickers = input.tickers ?? this.deps.defaultTickers;
    const results: TickerCheck[] = [];
    for (const ticker of tickers) {
      const bars = (await prices.bars(ticker)).slice(-count);
      if (bars.length < 2) {
        results.push({ ticker, status: 'skipped', reason: `${bars.length} stored bars (ingest it first)` });
        continue;
      }
      const report = checkLookAhead(strategy, input.params, bars);
      results.push({ ticker, status: report.ok ? 'ok' : 'failed', report });
    }
    return {
      strategy: strategy.name,
      version: strategy.version,
      tickers: results,
      ok: results.every((r) => r.status !== 'failed'),
    };
  }
}
