import { canonicalJson, renderSystemPrompt, sha256Hex, type NormalisedJobSpec } from '@beacon/domain';
import type { ClaimedCell } from '@beacon/db';

/** Renders the exact prompts and parameters of a cell, with their hashes (the same on every retry). */
export function renderCell(cell: ClaimedCell, spec: NormalisedJobSpec) {
  const region = spec.regions.find((r) => r.id === cell.region);
  const question = spec.questions.find((q) => q.id === cell.questionId);
  if (!region || !question) throw new Error(`cell ${cell.id} names a ${region ? 'question' : 'region'} its job does not list`);
  const system = renderSystemPrompt(spec.prompt.template, region.displayName);
  const user = question.text;
  const model = spec.models.find((m) => m.id === cell.modelId);
  const parameters = {
    model: model?.name ?? cell.modelId,
    temperature: spec.parameters.temperature,
    max_tokens: spec.parameters.maxTokens,
  };
  return {
    system,
    user,
    parameters,
    promptHash: sha256Hex(canonicalJson({ system, user })),
    parametersHash: sha256Hex(canonicalJson(parameters)),
  };
}
