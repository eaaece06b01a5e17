// The API key lives in localStorage (the spec's choice); components read it through useApiKey().
import { useSyncExternalStore } from 'react';

const STORAGE_KEY = 'infrakt.apiKey';
const listeners = new Set<() => void>();

function storage(): Storage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null;
  }
}

export function getApiKey(): string | null {
  return storage()?.getItem(STORAGE_KEY) ?? null;
}

export function setApiKey(key: string): void {
  storage()?.setItem(STORAGE_KEY, key);
  for (const l of listeners) l();
}

export function clearApiKey(): void {
  storage()?.removeItem(STORAGE_KEY);
  for (const l of listeners) l();
}

function subscribe(l: () => void): () => void {
  listeners.add(l);
  // Another tab logging out logs this one out too.
  const onStorage = (e: StorageEvent) => {
    if (e.key === STORAGE_KEY) l();
  };
  window.addEventListener('storage', onStorage);
  return () => {
    listeners.delete(l);
    window.removeEventListener('storage', onStorage);
  };
}

export function useApiKey(): string | null {
  return useSyncExternalStore(subscribe, getApiKey, () => null);
}
