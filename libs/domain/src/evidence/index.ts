export * from './merkle.js';
export * from './signed-note.js';
export * from './dsse.js';
export * from './receipt.js';
export * from './bundle.js';
export * from './transparency-config.js';
export * from './transparency.views.js';
