export { hostRoles, serve, type Hosted, type Role } from './serve.js';
export { failureAction, waitForDatabase, type FailureAction } from './retry-policy.js';
