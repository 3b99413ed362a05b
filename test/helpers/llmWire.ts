// One non-streaming answer of each model API, as the LLM judge's SDKs read them.

export function anthropicMessage(text: string) {
  return {
    id: 'msg_test',
    type: 'message',
    role: 'assistant',
    model: 'claude-test',
    content: [{ type: 'text', text }],
    stop_reason: 'end_turn',
    stop_sequence: null,
    usage: { input_tokens: 10, output_tokens: 10 },
  };
}
export function openaiCompletion(text: string) {
  return {
    id: 'chatcmpl-test',
    object: 'chat.completion',
    created: 1,
    model: 'gpt-test',
    choices: [{ index: 0, message: { role: 'assistant', content: text, refusal: null }, finish_reason: 'stop', logprobs: null }],
    usage: { prompt_tokens: 10, completion_tokens: 10, total_tokens: 20 },
  };
}

/** The judge's answers a test scripts: a legal change, and a cheat (whose reasons echo the key, to catch a leak). */
export const clean = {
  cheating: false,
  confidence: 0.9,
  reasons: ['train_gpt.py: rotary embeddings and ReLU² replace learned positions and GELU; a model change'],
  summary: 'A legal model change.',
};
export const cheat = (key: string) => ({
  cheating: true,
  confidence: 0.95,
  reasons: [`train_gpt.py: evaluate() skips half the val batches (the key ${key} was in the prompt)`],
  summary: 'The val loss is computed on a subset.',
});
