// Lets the event loop run between tests. Vitest's worker talks to the main process over I/O, and
// a file of many synchronous tests that together take over a minute (the kernel tests under the
// sanitizers, or on a loaded machine) would otherwise leave its replies unread past vitest's 60 s
// RPC timeout ("Timeout calling onTaskUpdate").
import { beforeEach } from 'vitest';

beforeEach(() => new Promise<void>((resolve) => setImmediate(resolve)));
