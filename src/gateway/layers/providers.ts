import { admitted, type Outcome } from '../../outcome.ts';
import type { LlmRequest, LlmResponse } from '../../ports/llm.ts';
import type { LayerContext } from '../context.ts';
import type { Next } from '../layer.ts';

/** What the provider stage needs: a retry / cooldown / fallback policy over the models. */
export interface ProviderStage {
  call(
    request: LlmRequest & { readonly signal?: AbortSignal },
    context: { readonly requestId: number },
  ): Promise<
    Outcome<{
      readonly response: LlmResponse;
      readonly model: string;
      readonly attempts: number;
      readonly fallback?: boolean;
    }>
  >;
}

/** The last step of the path: the providers, through `stage`. */
export function providersTerminal(stage: ProviderStage): (ctx: LayerContext) => Next {
  return () => async (request) => {
    const llmRequest: LlmRequest & { signal?: AbortSignal } = {
      id: request.id,
      prompt: request.prompt,
      ...(request.maxTokens === undefined ? {} : { maxTokens: request.maxTokens }),
      ...(request.signal === undefined ? {} : { signal: request.signal }),
    };
    const out = await stage.call(llmRequest, { requestId: request.id });
    if (out.kind !== 'admitted') return out;
    const { response, model, fallback } = out.value;
    return admitted({
      text: response.text,
      model,
      servedBy: fallback === true ? 'fallback' : 'upstream',
      outputTokens: response.outputTokens,
    });
  };
}
