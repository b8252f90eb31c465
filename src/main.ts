// Web process: config → database → container → app → listen.
import { loadConfig } from './config.js';
import { startOrExit } from './server.js';

startOrExit(loadConfig, { web: true, worker: false });
