// Options of ThreadPoolExecutor in Spring's ThreadPoolTaskExecutor names, their defaults, the
// article's bean, and the one converter from Spring's spelling (keepAliveSeconds) to ours.

/** The four `java.util.concurrent.ThreadPoolExecutor` rejection policies, by their JDK names. */
export type RejectedExecutionHandlerName =
  | 'AbortPolicy'
  | 'CallerRunsPolicy'
  | 'DiscardPolicy'
  | 'DiscardOldestPolicy';

/** Java's `Integer.MAX_VALUE`, Spring's default for `maxPoolSize` and `queueCapacity`. */
export const INTEGER_MAX_VALUE = 2_147_483_647;

/**
 * Options of `ThreadPoolExecutor`, named as Spring's `ThreadPoolTaskExecutor` setters name them,
 * except that the keep-alive is in ms (`keepAliveMs`; Spring's `keepAliveSeconds` is converted by
 * {@link executorFromSpringProperties}). Every field defaults to Spring's default (spring-context
 * `ThreadPoolTaskExecutor`).
 */
export interface ThreadPoolExecutorOptions {
  /** Threads kept even when idle. @defaultValue 1 */
  readonly corePoolSize?: number;
  /** Most threads; reached only when the queue is full. @defaultValue 2147483647 (Integer.MAX_VALUE) */
  readonly maxPoolSize?: number;
  /**
   * Queue capacity in tasks. A positive value is a `LinkedBlockingQueue(queueCapacity)`; 0 is a
   * `SynchronousQueue` (direct hand-off to an idle thread, no storage), as Spring builds it.
   * @defaultValue 2147483647 (Integer.MAX_VALUE: unbounded in practice, so maxPoolSize is never used)
   */
  readonly queueCapacity?: number;
  /** Ms an idle thread above the core size (or any, see below) waits before it ends. @defaultValue 60000 */
  readonly keepAliveMs?: number;
  /** Let core threads end after keepAliveMs idle too. Needs keepAliveMs > 0. @defaultValue false */
  readonly allowCoreThreadTimeOut?: boolean;
  /** What happens to a task neither a thread nor the queue can take. @defaultValue 'AbortPolicy' */
  readonly rejectedExecutionHandler?: RejectedExecutionHandlerName;
  /** Worker names are this prefix and 1, 2, 3… in creation order. @defaultValue 'ThreadPoolTaskExecutor-' */
  readonly threadNamePrefix?: string;
}

/**
 * A `ThreadPoolTaskExecutor` as Spring's setters (and the article's bean) spell it: every field of
 * {@link ThreadPoolExecutorOptions} but with `keepAliveSeconds` (s) where we have `keepAliveMs`.
 */
export type SpringTaskExecutorProperties = Omit<ThreadPoolExecutorOptions, 'keepAliveMs'> & {
  /** `ThreadPoolTaskExecutor.setKeepAliveSeconds`, in seconds. */
  readonly keepAliveSeconds?: number;
};

/**
 * The one converter from Spring's spelling to ours: `keepAliveSeconds` (s) becomes `keepAliveMs`;
 * the other fields are copied.
 */
export function executorFromSpringProperties(
  properties: SpringTaskExecutorProperties,
): ThreadPoolExecutorOptions {
  const { keepAliveSeconds, ...rest } = properties;
  return keepAliveSeconds === undefined ? rest : { ...rest, keepAliveMs: keepAliveSeconds * 1000 };
}

/** Spring `ThreadPoolTaskExecutor` defaults: roughly `Executors.newSingleThreadExecutor()`. */
export const springTaskExecutorDefaults: Required<ThreadPoolExecutorOptions> = Object.freeze({
  corePoolSize: 1,
  maxPoolSize: INTEGER_MAX_VALUE,
  queueCapacity: INTEGER_MAX_VALUE,
  keepAliveMs: 60_000,
  allowCoreThreadTimeOut: false,
  rejectedExecutionHandler: 'AbortPolicy',
  threadNamePrefix: 'ThreadPoolTaskExecutor-',
});

/** The article's `llmExecutor` bean (section 5.1): core 10, max 50, queue 200, keep-alive 60 s, CallerRuns. */
export const articleLlmExecutorOptions: Required<ThreadPoolExecutorOptions> = Object.freeze({
  ...springTaskExecutorDefaults,
  ...executorFromSpringProperties({
    corePoolSize: 10,
    maxPoolSize: 50,
    queueCapacity: 200,
    keepAliveSeconds: 60,
    rejectedExecutionHandler: 'CallerRunsPolicy',
    threadNamePrefix: 'llm-async-',
  }),
});
