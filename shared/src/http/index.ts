export { createServiceApp, type ServiceAppOptions, type AppEnv } from './service-app.js';
export { parseJsonBody, parseParams } from './validate.js';
export { serveHttp, type HttpServerHandle } from './serve.js';
