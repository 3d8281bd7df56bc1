export * from './nyse-calendar';
export * from './unscheduled-closures';
