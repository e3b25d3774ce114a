import type { Backend } from '../types';
import { adam } from './adam';
import { reduce } from './reduce';

/** The pure-TypeScript backend: the readable specification and the fallback. */
export const jsBackend: Backend = { name: 'js', adam, reduce };
