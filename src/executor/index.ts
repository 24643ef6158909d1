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
  Submitted,
  TaskContext,
  ThreadPoolExecutorOptions,
  ThreadPoolExecutorPorts,
} from './thread-pool-executor.ts';
export {
  articleLlmExecutorOptions,
  executorFromSpringProperties,
  INTEGER_MAX_VALUE,
  RejectedExecutionException,
  springTaskExecutorDefaults,
  ThreadPoolExecutor,
} from './thread-pool-executor.ts';
