/*
 * Subscribers and subscriptions, by concern: the types, the ports, the email
 * address rule, the strategy names a subscription may name, the links emails
 * carry and the confirmation email. The use cases are
 * src/services/subscriptions.service.ts.
 */
export * from './subscription.types';
export * from './subscription.ports';
export * from './email-address';
export * from './subscription-strategies';
export * from './links';
export * from './confirmation-email';
export * from './ticker-limits';
export * from './dropped-ticker-email';
export * from './proof-of-work';
export * from './new-link-email';
export * from './recommended-notes';
