export * from './rule-ast';
export {
  parseCondition,
  parseConstraint,
  printCondition,
  printExpr,
  RULE_LANGUAGE,
  RuleSyntaxError,
} from './rule-parser';
export * from './rule-schema';
export * from './rule-strategy';
export { ruleInWords } from './rule-words';
export { BUILT_IN_RULES } from './built-in-rules';
