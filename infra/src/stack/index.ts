// Subpath entry `@flashgate/infra/stack` (the launcher's building blocks, for the bench).
export * from '../stack.js';
