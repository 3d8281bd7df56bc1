import { BadInputError, NotFoundError } from '../domain/errors';
import type { PriceReadjustmentRepository } from '../domain/ports';
import type { PriceReadjustment } from '../domain/readjustment';
import {
  readjustTickerWorkflow,
  undoReadjustmentWorkflow,
  type ReadjustTickerInput,
  type ReadjustTickerResult,
  type UndoReadjustmentResult,
} from '../workflows/readjust-ticker.workflow';
import { readjustApproveWorkflowId, readjustUndoWorkflowId } from '../workflows/workflow-ids';
import type { TemporalGateway } from './temporal-gateway';

export interface ReadjustmentsDependencies {
  readjustments(): Pick<PriceReadjustmentRepository, 'readjustments' | 'readjustmentById'>;
  temporal(): Promise<TemporalGateway>;
}

/** The re-adjustments of stored histories: list them, approve a quarantined one, undo an applied one. */
export class ReadjustmentsService {
  constructor(private readonly deps: ReadjustmentsDependencies) {}

  /** Recorded re-adjustments, oldest first; of one ticker, or of one status, when given. */
  list(filter: { ticker?: string; status?: PriceReadjustment['status'] } = {}): Promise<PriceReadjustment[]> {
    return this.deps.readjustments().readjustments(filter);
  }

  /**
   * Apply quarantined re-adjustment `id` as it was found (the same cause,
   * provider and as-of day), without its plausibility check: a re-adjustment
   * workflow that records it applied (the values it replaces kept) and marks
   * the quarantined one approved.
   */
  async approve(id: number): Promise<ReadjustTickerResult> {
    const found = await this.deps.readjustments().readjustmentById(id);
    if (!found) throw new NotFoundError(`no re-adjustment ${id}`);
    if (found.status !== 'quarantined' || !found.cause)
      throw new BadInputError(`re-adjustment ${id} is ${found.status}: only a quarantined one can be approved`);
    const selection = found.selection as Pick<ReadjustTickerInput, 'asOf' | 'provider' | 'providers' | 'csvDir'>;
    const input: ReadjustTickerInput = {
      ...selection,
      ticker: found.ticker,
      cause: found.cause,
      ingestionRunId: found.ingestionRunId,
      approves: id,
    };
    const gateway = await this.deps.temporal();
    return gateway.execute(readjustTickerWorkflow, readjustApproveWorkflowId(id), [input]);
  }

  /** Put back the bars applied re-adjustment `id` replaced, and rebuild the ticker's strategy states. */
  async undo(id: number): Promise<UndoReadjustmentResult> {
    const found = await this.deps.readjustments().readjustmentById(id);
    if (!found) throw new NotFoundError(`no re-adjustment ${id}`);
    if (found.status !== 'applied')
      throw new BadInputError(`re-adjustment ${id} is ${found.status}: only an applied one can be undone`);
    const gateway = await this.deps.temporal();
    return gateway.execute(undoReadjustmentWorkflow, readjustUndoWorkflowId(id), [{ id }]);
  }
}
