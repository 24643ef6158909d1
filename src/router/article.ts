// The article's section 3.2 read/write-splitting block (ha-architecture-article, "3.2 ShardingSphere
// 读写分离配置"), the one copy in the project. It is the article's, so it is product: the bench, the
// router incidents and the L3-through-the-router tests load it, and parseReadwriteSplittingYaml
// accepts it as printed (see config.ts for the indentation it normalises).

/**
 * The article's section 3.2 Spring Boot YAML for ShardingSphere read/write splitting, byte for byte as
 * printed: its indentation mixes U+00A0 (no-break space, written `\u00a0` here) with spaces, the
 * passwords are the article's `***`, and it ends with one newline. Group `prd_ds`: writer `ds-master`,
 * readers `ds-slave-0` and `ds-slave-1`, load balancer `round_robin` of type ROUND_ROBIN; no
 * `transactionalReadQueryStrategy`, so the default applies. Pass it to `ReadWriteRouter` or
 * `parseReadwriteSplittingYaml` unchanged.
 */
export const ARTICLE_READWRITE_SPLITTING_YAML: string = `spring:
\u00a0 shardingsphere:
\u00a0\u00a0\u00a0 datasource:
\u00a0\u00a0\u00a0\u00a0\u00a0 ds-master:
\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0 url: jdbc:mysql://192.168.1.10:3306/llm_db
\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0 username: root
\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0 password: ***
\u00a0\u00a0\u00a0\u00a0\u00a0 ds-slave-0:
\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0 url: jdbc:mysql://192.168.1.11:3306/llm_db
\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0 username: root
\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0 password: ***
\u00a0\u00a0\u00a0\u00a0\u00a0 ds-slave-1:
\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0 url: jdbc:mysql://192.168.1.12:3306/llm_db
\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0 username: root
\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0 password: ***
\u00a0\u00a0\u00a0 rules:
\u00a0\u00a0\u00a0\u00a0\u00a0 readwrite-splitting:
\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0 data-sources:
\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0 prd_ds:
\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0 writeDataSourceName: ds-master
\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0 readDataSourceNames:
\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0 - ds-slave-0
\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0 - ds-slave-1
\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0 loadBalancerName: round_robin
\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0 loadBalancers:
\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0 round_robin:
\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0 type: ROUND_ROBIN
`;
