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
