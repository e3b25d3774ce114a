// Types of random.mjs for the TypeScript tests, which draw from the same generator.
export function mulberry32(seed: number): () => number;
export function shuffleInPlace<T>(array: T[], random: () => number): T[];
