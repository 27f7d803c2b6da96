export * from './provider/chat-provider.js';
export * from './provider/openai-compatible.provider.js';
export * from './classifier/judge.classifier.js';
export * from './worker/engine.js';
export * from './worker/engine.events.js';
export * from './worker/engine.options.js';
export * from './worker/render-cell.js';
