// Baseline: the ceiling of Node.js on this machine. One node:http handler answering the same
// JSON as /health, nothing else (no framework, no logging, no metrics).
import http from 'node:http';

const port = Number(process.env.PORT ?? 3000);

http
  .createServer((_req, res) => {
    const body = JSON.stringify({
      status: 'healthy',
      timestamp: new Date().toISOString(),
      version: '1.0.0',
    });
    res.writeHead(200, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(body),
    });
    res.end(body);
  })
  .listen(port, '127.0.0.1');
