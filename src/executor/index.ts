export type {
  ChatWithFallbackOptions,
  FallbackMode,
  FallbackPorts,
  FallbackResult,
  ModelAnswer,
  ModelFailure,
  ModelFallbackOptions,
  TaskRunner,
} from './fallback.ts';
export {
  AllModelsFailedError,
  chatWithFallback,
  ModelFallback,
  TimeoutError,
  withTimeout,
} from './fallback.ts';
export type {
  RejectedExecutionHandlerName,
  SpringTaskExecutorProperties,
  ThreadPoolExecutorOptions,
} from './options.ts';
export {
  articleLlmExecutorOptions,
  executorFromSpringProperties,
  INTEGER_MAX_VALUE,
  springTaskExecutorDefaults,
} from './options.ts';
export type { Submitted, TaskContext, ThreadPoolExecutorPorts } from './thread-pool-executor.ts';
export { RejectedExecutionException, ThreadPoolExecutor } from './thread-pool-executor.ts';
