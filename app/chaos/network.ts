// Loopback plumbing shared by the fault runs, the benchmark and the API tests.
import { once } from 'node:events';
import net from 'node:net';

export async function freePort(): Promise<number> {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

export function canConnect(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, host);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export function sleep(millis: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, millis));
}

export async function waitFor(
  condition: () => Promise<boolean> | boolean,
  timeoutMillis: number,
  what: string,
  intervalMillis = 50,
): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMillis) {
    if (await condition()) return Date.now() - started;
    await sleep(intervalMillis);
  }
  throw new Error(`timed out after ${timeoutMillis} ms waiting for ${what}`);
}
