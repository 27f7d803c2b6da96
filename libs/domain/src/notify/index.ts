export * from './notify-config.js';
export * from './signature.js';
export * from './delivery-policy.js';
export * from './notification-payload.js';
export * from './notification-views.js';
