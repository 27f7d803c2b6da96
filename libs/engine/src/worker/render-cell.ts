import { canonicalJson, cellPrompts, sha256Hex, type NormalisedJobSpec } from '@beacon/domain';
import type { ClaimedCell } from '@beacon/db';

/**
 * Renders the exact prompts and parameters of a cell, with their hashes (the same on every retry): the region's system
 * prompt and the question's text in the cell's variant, as frozen in the spec at submission.
 */
export function renderCell(cell: ClaimedCell, spec: NormalisedJobSpec) {
  const prompts = cellPrompts(spec, cell);
  if ('error' in prompts) throw new Error(`cell ${cell.id} ${prompts.error}`);
  const { system, user } = prompts;
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
