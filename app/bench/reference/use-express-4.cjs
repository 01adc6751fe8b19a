// Preloaded with `node --require` in front of the reference app: its package.json asks for
// express ^4.18.2, while this package's `express` is 5 (the API's). The dev dependency
// `express4` (npm alias of express@4) answers `require('express')` instead, so the reference app
// runs unchanged on the express major it was written for.
/* eslint-disable @typescript-eslint/no-require-imports */
const Module = require('node:module');

const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  return resolveFilename.call(this, request === 'express' ? 'express4' : request, ...rest);
};
