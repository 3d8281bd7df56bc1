// The layers of STYLE.md, checked by `npm run lint`: the domain depends on
// nothing outside it, adapters implement domain ports (never activities),
// activities receive adapters through their factory, and only the composition
// module, the worker, the API and the CLI build real clients; API routes and
// CLI commands call services (src/services), which hold the use cases.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'domain-is-pure',
      comment: 'src/domain holds no I/O: it imports only itself and pure libraries.',
      severity: 'error',
      from: { path: '^src/domain' },
      to: { pathNot: ['^src/domain', 'node_modules/(zod|technicalindicators|nyse-holidays)/'] },
    },
    {
      name: 'adapters-implement-ports',
      comment:
        'An adapter implements a port of src/domain; importing activities, workflows or shells runs the dependency the wrong way.',
      severity: 'error',
      from: { path: '^src/adapters' },
      to: { path: '^src/(activities|workflows|api|cli|stack|worker|composition)' },
    },
    {
      name: 'activities-receive-adapters',
      comment: 'Activities get their repositories from createActivities(deps), never by building adapters.',
      severity: 'error',
      from: { path: '^src/activities' },
      to: { path: '^src/(adapters|api|cli|stack|worker|composition)' },
    },
    {
      name: 'workflows-are-deterministic',
      comment: 'Workflows import domain code, other workflows and activity types only.',
      severity: 'error',
      from: { path: '^src/workflows' },
      to: { path: '^src/(adapters|api|cli|stack|config|worker|composition)' },
    },
    {
      name: 'workflows-import-activity-types-only',
      comment: 'A value import of an activity module would bundle its I/O into the workflow sandbox.',
      severity: 'error',
      from: { path: '^src/workflows' },
      to: { path: '^src/activities', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'shells-call-services',
      comment:
        'API routes and CLI commands parse input, call a service and format the answer: they never build adapters, ' +
        'call activities or start workflows themselves (types of workflow results are fine).',
      severity: 'error',
      from: { path: '^src/(api/routes|cli/commands)/' },
      to: {
        path: '^src/(adapters|activities|workflows|composition|worker)',
        // Workflow ids are pure names (the schedule's id is shown by `algo schedule`).
        pathNot: '^src/workflows/workflow-ids\\.ts$',
        dependencyTypesNot: ['type-only'],
      },
    },
    {
      name: 'services-use-ports',
      comment:
        'Services hold the use cases over domain ports and the Temporal gateway; the shells build them, not the other way.',
      severity: 'error',
      from: { path: '^src/services/' },
      to: { path: '^src/(api|cli|stack|worker)', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'no-circular',
      comment: 'A cycle of value imports breaks module initialisation order; type-only cycles are harmless.',
      severity: 'error',
      from: {},
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '^(node_modules|dist|\\.data)' },
  },
};
