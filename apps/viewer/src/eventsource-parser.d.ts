// The page loads `eventsource-parser`'s own ES module, copied next to the viewer's scripts by `npm run build:viewer`
// (the browser has no package resolution and the viewer no bundler); its types are the package's.
export { createParser, type EventSourceMessage, type EventSourceParser, type ParseError } from 'eventsource-parser';
