export type {
  AnswerInput,
  FaultSettings,
  OutageWindow,
  RefusalOverride,
  RunningSimulator,
  SimulatedAnswer,
  SimulatorCellStats,
  SimulatorOptions,
  SimulatorStats,
} from './simulator.types.js';
export { DEFAULT_SIMULATOR_PORT, startSimulator } from './simulator.server.js';
export { estimateTokens, refusalFor, simulateAnswer } from './answer-model.js';
export { languageOf, type SimLanguage } from './answer-languages.js';
export { defaultFaults, parseFaultUpdate } from './fault-settings.js';
export { OVERRIDE_REFUSAL } from './refusal-override.js';
export { SIM_MODELS, type SimModel, resolveModel } from './simulator-models.js';
