export type {
  ChatWithFallbackOptions,
  FallbackMode,
  FallbackPorts,
  FallbackResult,
  ModelFailure,
  TaskRunner,
} from './fallback.ts';
export { chatWithFallback, TimeoutError, withTimeout } from './fallback.ts';
export type {
  RejectedExecutionHandlerName,
  Submitted,
  TaskContext,
  ThreadPoolExecutorOptions,
  ThreadPoolExecutorPorts,
} from './thread-pool-executor.ts';
export {
  articleLlmExecutorOptions,
  INTEGER_MAX_VALUE,
  RejectedExecutionException,
  springTaskExecutorDefaults,
  ThreadPoolExecutor,
} from './thread-pool-executor.ts';
