// docker-compose.yml (+ docker-compose.override.yml, .env.example) checked without a Docker
// engine: the Compose Specification's JSON schema, then the properties the local stack promises
// (health checks everywhere, pinned images, named volumes, one dedicated network, no secret in
// the file, every variable explained in .env.example, migrations before the API). Each rule is
// also run on a broken copy, to prove that it can fail.
import { expect } from 'chai';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import {
  bindMountSources,
  commandOf,
  dependencyCondition,
  interpolate,
  labelsOf,
  literalSecrets,
  namedVolumesOf,
  parseEnvExample,
  realLookingSecretsInEnvExample,
  referencedVariables,
  schemaErrors,
  secretDefaultsNotLocalOnly,
  envExampleDifferingFromDefaults,
  variablesWithoutDefault,
  servicesOffTheDedicatedNetwork,
  servicesWithoutHealthcheck,
  undeclaredOrAnonymousVolumes,
  undocumentedVariables,
  unpinnedImages,
  type ComposeDocument,
  type ComposeService,
} from './container/composeRules';

const repoRoot = join(__dirname, '..', '..');
const read = (file: string) => readFileSync(join(repoRoot, file), 'utf8');
const parseCompose = (text: string) => parse(text, { merge: true }) as ComposeDocument;

const composeText = read('docker-compose.yml');
const overrideText = read('docker-compose.override.yml');
const envExampleText = read('.env.example');
const compose = parseCompose(composeText);
const override = parseCompose(overrideText);
const envExample = parseEnvExample(envExampleText);
const exampleValues = Object.fromEntries(
  [...envExample].map(([name, entry]) => [name, entry.value]),
);

const expectedServices = [
  'postgres',
  'redis',
  'migrate',
  'api',
  'traefik',
  'tempo',
  'loki',
  'alloy',
  'prometheus',
  'alertmanager',
  'grafana',
];
const statefulServices = [
  'postgres',
  'redis',
  'prometheus',
  'alertmanager',
  'grafana',
  'loki',
  'tempo',
];

/** A deep copy to break on purpose. */
const mutable = (): ComposeDocument => structuredClone(compose);

function service(document: ComposeDocument, name: string): ComposeService {
  const found = document.services[name];
  if (!found) throw new Error(`no service ${name} in the compose document`);
  return found;
}

const environmentOf = (document: ComposeDocument, name: string) =>
  service(document, name).environment as Record<string, string>;

describe('local stack (docker-compose.yml, .env.example)', function () {
  describe('Compose Specification', function () {
    it('docker-compose.yml is valid with no .env at all (a fresh clone), and with the .env.example values', function () {
      expect(schemaErrors(interpolate(compose, {}))).to.deep.equal([]);
      expect(schemaErrors(interpolate(compose, exampleValues))).to.deep.equal([]);
    });

    it('docker-compose.override.yml is valid too', function () {
      expect(schemaErrors(interpolate(override, exampleValues))).to.deep.equal([]);
    });

    it('rejects a document with a misspelt key or a malformed duration', function () {
      const misspelt = mutable() as unknown as {
        services: Record<string, Record<string, unknown>>;
      };
      service(misspelt, 'api').helthcheck = { test: ['CMD', 'true'] };
      expect(schemaErrors(interpolate(misspelt, exampleValues))).to.not.deep.equal([]);
      const slow = mutable();
      service(slow, 'redis').healthcheck = {
        test: ['CMD', 'true'],
        interval: '10 seconds',
      } as never;
      expect(schemaErrors(interpolate(slow, exampleValues)).join()).to.include('duration');
    });

    it('fails to interpolate a required variable (${VAR:?…}) that is missing', function () {
      const required = parseCompose(
        composeText.replace(
          '${POSTGRES_PASSWORD:-local-only-postgres}',
          '${POSTGRES_PASSWORD:?set it}',
        ),
      );
      expect(() => interpolate(required, {})).to.throw(/POSTGRES_PASSWORD/);
    });
  });

  describe('services', function () {
    it('has every service of the local stack contract', function () {
      expect(Object.keys(compose.services)).to.include.members(expectedServices);
    });

    it('gives every service a health check', function () {
      expect(servicesWithoutHealthcheck(compose)).to.deep.equal([]);
      const broken = mutable();
      delete service(broken, 'redis').healthcheck;
      service(broken, 'loki').healthcheck = { disable: true };
      expect(servicesWithoutHealthcheck(broken)).to.deep.equal(['redis', 'loki']);
    });

    it('pins every image by tag (never latest, never untagged)', function () {
      expect(unpinnedImages(compose)).to.deep.equal([]);
      const broken = mutable();
      service(broken, 'grafana').image = 'grafana/grafana:latest';
      service(broken, 'loki').image = 'grafana/loki';
      expect(unpinnedImages(broken)).to.deep.equal([
        'loki (grafana/loki)',
        'grafana (grafana/grafana:latest)',
      ]);
    });

    it('uses PostgreSQL 16 and Redis 7', function () {
      expect(service(compose, 'postgres').image).to.match(/^postgres:16\./);
      expect(service(compose, 'redis').image).to.match(/^redis:7\./);
    });

    it('keeps data in named volumes declared at the top level', function () {
      expect(undeclaredOrAnonymousVolumes(compose)).to.deep.equal([]);
      for (const service of statefulServices) {
        expect(namedVolumesOf(compose, service), service).to.have.length.greaterThan(0);
      }
      const broken = mutable();
      service(broken, 'postgres').volumes = [
        'pgdata:/var/lib/postgresql/data',
        '/var/lib/anonymous',
      ];
      expect(undeclaredOrAnonymousVolumes(broken)).to.deep.equal([
        'postgres: pgdata',
        'postgres: /var/lib/anonymous',
      ]);
    });

    it('puts every service on the dedicated network', function () {
      expect(Object.keys(compose.networks ?? {})).to.deep.equal(['payflow']);
      expect(servicesOffTheDedicatedNetwork(compose)).to.deep.equal([]);
      const broken = mutable();
      delete service(broken, 'api').networks;
      service(broken, 'grafana').network_mode = 'host';
      expect(servicesOffTheDedicatedNetwork(broken)).to.deep.equal(['api', 'grafana']);
    });
  });

  describe('secrets and variables', function () {
    it('writes no secret into the compose files', function () {
      expect(literalSecrets(compose)).to.deep.equal([]);
      expect(literalSecrets(override)).to.deep.equal([]);
    });

    it('reports literal passwords, credentials in URLs and password flags', function () {
      const broken = mutable();
      service(broken, 'postgres').environment = { POSTGRES_PASSWORD: 'hunter2' };
      service(broken, 'api').environment = {
        DATABASE_URL: 'postgres://payflow:hunter2@postgres:5432/payflow',
      };
      service(broken, 'redis').command = ['redis-server', '--requirepass', 'hunter2'];
      expect(literalSecrets(broken)).to.have.length(3);
    });

    it('gives every variable one default, so docker compose up needs no .env', function () {
      expect(variablesWithoutDefault(composeText)).to.deep.equal([]);
      expect(variablesWithoutDefault(overrideText)).to.deep.equal([]);
      const broken = composeText
        .replace('${POSTGRES_PASSWORD:-local-only-postgres}', '${POSTGRES_PASSWORD:?set it}')
        .replace('${LOG_LEVEL:-info}', '${LOG_LEVEL}')
        .replace('${APP_VERSION:-local}', '${APP_VERSION:-dev}');
      expect(variablesWithoutDefault(broken)).to.deep.equal([
        'APP_VERSION (defaults dev, local)',
        'LOG_LEVEL',
        'POSTGRES_PASSWORD',
      ]);
    });

    it('gives the passwords local-only placeholders as defaults, never a real-looking secret', function () {
      expect(secretDefaultsNotLocalOnly(composeText)).to.deep.equal([]);
      expect(
        secretDefaultsNotLocalOnly(composeText.replace('local-only-redis', 'Xk2pQ9vLm3')),
      ).to.deep.equal(['REDIS_PASSWORD']);
    });

    it('.env.example holds the defaults of docker-compose.yml', function () {
      expect(envExampleDifferingFromDefaults(composeText, envExample)).to.deep.equal([]);
      const drifted = parseEnvExample('# the port\nTRAEFIK_HTTP_PORT=8000\n');
      expect(envExampleDifferingFromDefaults(composeText, drifted)).to.deep.equal([
        'TRAEFIK_HTTP_PORT',
      ]);
    });

    it('explains every variable the compose files use in .env.example', function () {
      expect(referencedVariables(composeText)).to.include('POSTGRES_PASSWORD');
      expect(undocumentedVariables([composeText, overrideText], envExample)).to.deep.equal([]);
      const broken = composeText.replace('${LOG_LEVEL:-info}', '${LOG_FORMAT:-json}');
      expect(undocumentedVariables([broken], envExample)).to.deep.equal(['LOG_FORMAT']);
    });

    it('keeps placeholders (local-only-…), not secrets, in .env.example', function () {
      expect(realLookingSecretsInEnvExample(envExample)).to.deep.equal([]);
      const leaky = parseEnvExample('# the password\nREDIS_PASSWORD=s3cr3t-from-prod\n');
      expect(realLookingSecretsInEnvExample(leaky)).to.deep.equal(['REDIS_PASSWORD']);
    });

    it('protects Redis with AUTH from the environment and gives the API the password', function () {
      expect(commandOf(service(compose, 'redis')).join(' ')).to.include(
        '--requirepass "$$REDIS_PASSWORD"',
      );
      expect(String(environmentOf(compose, 'api').REDIS_URL)).to.match(
        /^redis:\/\/:\$\{REDIS_PASSWORD:-local-only-redis\}@redis:6379/,
      );
    });
  });

  describe("the API's own database role", function () {
    it('the migrations log in as the owner and create payflow_api; the API logs in as payflow_api', function () {
      const migrate = environmentOf(compose, 'migrate');
      expect(String(migrate.DATABASE_URL)).to.match(/^postgres:\/\/\$\{POSTGRES_USER:-payflow\}:/);
      expect(migrate.POSTGRES_API_ROLE).to.equal('payflow_api');
      expect(String(migrate.POSTGRES_API_PASSWORD)).to.equal(
        '${POSTGRES_API_PASSWORD:-local-only-postgres-api}',
      );
      expect(migrate.APP_ENV).to.equal('development'); // seeds the demo users: curl /users
      expect(String(environmentOf(compose, 'api').DATABASE_URL)).to.match(
        /^postgres:\/\/payflow_api:\$\{POSTGRES_API_PASSWORD:-local-only-postgres-api\}@postgres:5432\//,
      );
    });
  });

  describe('start-up order', function () {
    it('starts the API only after the migrations completed and PostgreSQL/Redis are healthy', function () {
      expect(dependencyCondition(compose, 'api', 'migrate')).to.equal(
        'service_completed_successfully',
      );
      expect(dependencyCondition(compose, 'api', 'postgres')).to.equal('service_healthy');
      expect(dependencyCondition(compose, 'api', 'redis')).to.equal('service_healthy');
      expect(dependencyCondition(compose, 'migrate', 'postgres')).to.equal('service_healthy');
      const broken = mutable();
      service(broken, 'api').depends_on = { migrate: { condition: 'service_started' } };
      expect(dependencyCondition(broken, 'api', 'migrate')).to.not.equal(
        'service_completed_successfully',
      );
    });

    it('runs the migrations with the API image: node dist/migrate.js', function () {
      expect(service(compose, 'migrate').image).to.equal(service(compose, 'api').image);
      expect(service(compose, 'api').build).to.deep.include({ context: './app' });
      expect(commandOf(service(compose, 'migrate'))).to.deep.equal(['dist/migrate.js']);
    });

    it('sends the API traces to tempo:4318 and runs it read-only', function () {
      expect(environmentOf(compose, 'api').OTLP_ENDPOINT).to.equal('http://tempo:4318');
      expect(service(compose, 'api').read_only).to.equal(true);
    });
  });

  describe('traefik', function () {
    const traefik = service(compose, 'traefik');
    const command = commandOf(traefik);

    it('routes the API and Grafana, and only containers that ask for it', function () {
      expect(command).to.include('--providers.docker.exposedbydefault=false');
      expect(labelsOf(service(compose, 'api'))['traefik.http.routers.api.rule']).to.include(
        'Host(`localhost`)',
      );
      expect(labelsOf(service(compose, 'grafana'))['traefik.http.routers.grafana.rule']).to.include(
        'Host(`grafana.localhost`)',
      );
      expect(
        labelsOf(service(compose, 'api'))['traefik.http.services.api.loadbalancer.server.port'],
      ).to.equal('8080');
    });

    it('stops routing to a stopping API before it closes: shutdown delay > health check interval, < grace period', function () {
      const api = service(compose, 'api');
      const seconds = (duration: unknown) => {
        const match = /^(\d+)(ms|s)$/.exec(String(duration));
        if (!match) throw new Error(`unexpected duration ${String(duration)}`);
        return Number(match[1]) / (match[2] === 'ms' ? 1000 : 1);
      };
      const delay = Number(environmentOf(compose, 'api').SHUTDOWN_DELAY_MS) / 1000;
      const interval = seconds(
        labelsOf(api)['traefik.http.services.api.loadbalancer.healthcheck.interval'],
      );
      expect(labelsOf(api)['traefik.http.services.api.loadbalancer.healthcheck.path']).to.equal(
        '/ready',
      );
      expect(delay).to.be.above(interval);
      expect(delay + 10).to.be.below(seconds(api.stop_grace_period));
    });

    it('keeps the dashboard off and the Docker socket read-only', function () {
      expect(command).to.include('--api.dashboard=false');
      expect(command.join(' ')).to.not.include('--api.insecure=true');
      const socketMounts = (traefik.volumes ?? []).filter((volume) =>
        String(volume).includes('docker.sock'),
      );
      expect(socketMounts).to.have.length(1);
      expect(String(socketMounts[0])).to.match(/:ro$/);
    });

    it('publishes ports of the override file on 127.0.0.1 only', function () {
      const published = Object.values(override.services).flatMap((service) => service.ports ?? []);
      expect(published).to.have.length.greaterThan(0);
      for (const port of published) expect(String(port)).to.match(/^127\.0\.0\.1:/);
    });
  });

  describe('monitoring files mounted from the repository', function () {
    const mounted = [
      ...new Set(bindMountSources(compose).filter((source) => source.startsWith('./'))),
    ];

    it('mounts the paths of the local stack contract', function () {
      expect(mounted).to.include.members([
        './monitoring/prometheus/scrape-config.yaml',
        './monitoring/alerts',
        './monitoring/alertmanager/alertmanager.yml',
        './monitoring/grafana/provisioning/datasources',
        './monitoring/grafana/provisioning/dashboards',
        './monitoring/dashboards',
        './monitoring/loki/loki-config.yaml',
        './monitoring/tempo/tempo-config.yaml',
        './monitoring/alloy/config.alloy',
      ]);
    });

    it('finds every mounted path in the repository', function () {
      const missing = mounted.filter((source) => !existsSync(join(repoRoot, source)));
      expect(
        missing,
        `mounted by docker-compose.yml but missing: ${missing.join(', ')}`,
      ).to.deep.equal([]);
    });
  });
});
