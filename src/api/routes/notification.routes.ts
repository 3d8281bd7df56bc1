import type { ApiContext, ZodApp } from '../api-context';
import { notifyBody, tickerParams } from '../schemas';

/** /notification: the old notification service's manual send, in the old clients' shape. */
export function registerNotificationRoutes(app: ZodApp, ctx: ApiContext): void {
  app.post(
    '/notification/:ticker/send',
    {
      onRequest: ctx.admin,
      schema: {
        tags: ['tickers'],
        summary:
          'Email every confirmed subscriber of a ticker its signals (admin; starts notifyTickerWorkflow). Empty body: the latest signals; ' +
          '{"date"}: those of that date; the old clients\' {"signal","strategy","date","test"}: that signal, once, recorded as reported ' +
          '(whatever our rules give; 409 only if a different signal is recorded); with "check": true, only if our rules give it (409 otherwise)',
        security: [{ apiKey: [] }],
        params: tickerParams,
        body: notifyBody,
      },
    },
    async (request, reply) => {
      const { ticker } = request.params;
      const { date, signal, strategy, test, check } = request.body ?? {};
      // Who reported it: the admin key's holder, from that address.
      const reportedBy = `POST /notification/${ticker}/send (admin key) from ${request.ip}`;
      const reported = signal && strategy && date ? { signal, strategy, date, check, reportedBy } : undefined;
      if (reported && test) return reply.code(200).send(await ctx.notifications.dryRun({ ticker, date, reported }));
      const started = await ctx.notifications.start({ ticker, date, reported });
      return reply.code(202).send({ workflowId: started.workflowId, runId: started.runId });
    },
  );
}
