// Embedded default: web and worker in one process (required with the embedded database, which one process owns).
import { loadConfig } from './config.js';
import { startOrExit } from './server.js';

startOrExit(loadConfig, { web: true, worker: true });
