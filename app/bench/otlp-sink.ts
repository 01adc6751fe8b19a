// Stands in for the OpenTelemetry collector (Tempo) during the benchmark, so that the API
// exports its spans over OTLP/HTTP as it does in production, instead of printing them.
// Answers 200 to every export and counts them (GET /stats).
import http from 'node:http';

const port = Number(process.env.PORT ?? 4318);
let exports = 0;
let bytes = 0;

http
  .createServer((req, res) => {
    if (req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ exports, bytes }));
      return;
    }
    req.on('data', (chunk: Buffer) => (bytes += chunk.length));
    req.on('end', () => {
      exports += 1;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  })
  .listen(port, '127.0.0.1');
