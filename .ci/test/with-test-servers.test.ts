// .ci/with-test-servers: the throw-away PostgreSQL and Redis of .ci/run and of `make test` on a
// machine with neither servers nor Docker. It hands the command two servers that answer, fails a
// command that leaves Redis keys behind, removes both servers afterwards, and says what to
// install when redis-server is missing.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { toolPath } from './tool-path';

const repoRoot = path.resolve(__dirname, '..', '..');
const script = path.join(repoRoot, '.ci', 'with-test-servers');
const hasRedis = spawnSync('bash', ['-c', 'command -v redis-server']).status === 0;

function run(command: string, env: NodeJS.ProcessEnv = process.env) {
  return spawnSync(script, ['bash', '-c', command], {
    cwd: repoRoot,
    env,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 120_000,
  });
}

function accepts(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), hostname);
    socket.once('connect', () => resolve(socket.end() && true));
    socket.once('error', () => resolve(false));
  });
}

describe('.ci/with-test-servers', function () {
  before(function () {
    // CI installs redis-server (.ci/run); elsewhere, without it, there is nothing to start.
    if (!hasRedis && !process.env.CI) this.skip();
  });

  it('runs the command with a PostgreSQL and a Redis that answer, then removes both', async function () {
    const result = run(
      'psql "$DATABASE_URL" -Atc "select 1" && redis-cli -u "$REDIS_URL" ping && ' +
        'echo "urls $DATABASE_URL $REDIS_URL"',
    );
    expect(result.status, result.stderr).to.equal(0);
    expect(result.stdout).to.match(/^1\nPONG\n/);
    const urls = /^urls (\S+) (\S+)$/m.exec(result.stdout);
    expect(urls, result.stdout).to.not.equal(null);
    expect(urls?.[1]).to.match(/^postgres:\/\/postgres:\w+@127\.0\.0\.1:\d+\/postgres$/);
    expect(urls?.[2]).to.match(/^redis:\/\/127\.0\.0\.1:\d+$/);
    expect(await accepts(urls?.[1] ?? '')).to.equal(false);
    expect(await accepts(urls?.[2] ?? '')).to.equal(false);
  });

  it('fails a command that passed but left Redis keys behind, and passes on its exit code', function () {
    const leaked = run('redis-cli -u "$REDIS_URL" set payflow:leaked 1 >/dev/null');
    expect(leaked.status).to.equal(1);
    expect(leaked.stderr).to.include('Redis keys left behind');
    expect(leaked.stderr).to.include('payflow:leaked');
    expect(run('exit 3').status).to.equal(3);
  });

  it('without redis-server: exit 2, says what to install, starts nothing', function () {
    const scratch = mkdtempSync(path.join(tmpdir(), 'payflow-test-servers-'));
    try {
      const bin = toolPath(scratch, ['bash', 'dirname', 'find', 'sort', 'tail', 'head', 'xargs']);
      const result = run('echo ran', { PATH: bin });
      expect(result.status).to.equal(2);
      expect(result.stderr).to.include(
        'redis-server is not installed: apt-get install redis-server',
      );
      expect(result.stdout).to.not.include('ran');
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});
