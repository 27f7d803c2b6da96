import { createContext, useContext, useRef } from 'react';
import { matchKey, type KeyName, type KeyTable } from '../keys/key-binding.js';
import type { ScreenId } from '../keys/key-tables.js';

/** Handles one key press; the app calls the current screen's. */
export type KeyHandler = (key: KeyName) => void;

/** Where screens register their key handler; the app owns the only `useInput` and routes keys through it. */
export const ScreenKeysContext = createContext<Map<ScreenId, KeyHandler>>(new Map());

/** Registers `onCommand` as the screen's handler of the commands in `table`. */
export function useScreenKeys<C extends string>(screen: ScreenId, table: KeyTable<C>, onCommand: (command: C) => void): void {
  const registry = useContext(ScreenKeysContext);
  const handler = useRef(onCommand);
  handler.current = onCommand;
  const route = useRef<KeyHandler>((key) => {
    const command = matchKey(table, key);
    if (command) handler.current(command);
  });
  registry.set(screen, route.current);
}
