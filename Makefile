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

# ---------------------------------------------------------------- dependencies
node_modules/.package-lock.json: package-lock.json
	npm ci --no-audit --no-fund
app/node_modules/.package-lock.json: app/package-lock.json
	cd app && npm ci --no-audit --no-fund

.PHONY: install
install: node_modules/.package-lock.json app/node_modules/.package-lock.json ## Install the npm dependencies of the repository and the API (npm ci)

# ---------------------------------------------------------------- quality
.PHONY: lint
lint: install ## eslint, prettier and the TypeScript compiler on the whole repository
	npx eslint .
	npx prettier --check .
	npx tsc --noEmit -p tsconfig.json
	cd app && npx tsc --noEmit -p tsconfig.json && npx tsc --noEmit -p bench/tsconfig.json

.PHONY: format
format: install ## Rewrite files with prettier
	npx prettier --write .

# Test servers: reuse DATABASE_URL/PG* and REDIS_URL when given (CI sets them),
# else start the compose services when a Docker engine answers.
define test_services
if [ -z "$${DATABASE_URL:-}" ] && [ -n "$${PGHOST:-}" ]; then \
  export DATABASE_URL="postgres://$${PGUSER:-postgres}:$${PGPASSWORD:-}@$${PGHOST}:$${PGPORT:-5432}/$${PGDATABASE:-postgres}"; fi; \
if [ -z "$${DATABASE_URL:-}" ] || [ -z "$${REDIS_URL:-}" ]; then \
  if docker info >/dev/null 2>&1; then \
    [ -f .env ] || cp .env.example .env; \
    set -a; . ./.env; set +a; \
    docker compose up -d postgres redis --wait; \
    export DATABASE_URL="postgres://$${POSTGRES_USER}:$${POSTGRES_PASSWORD}@127.0.0.1:$${POSTGRES_HOST_PORT:-5432}/$${POSTGRES_DB}"; \
    export REDIS_URL="redis://:$${REDIS_PASSWORD}@127.0.0.1:$${REDIS_HOST_PORT:-6379}"; \
  else \
    echo "make test needs PostgreSQL and Redis:" >&2; \
    echo "  - set DATABASE_URL (or PGHOST/PGUSER/PGPASSWORD) and REDIS_URL to running servers, or" >&2; \
    echo "  - start a Docker engine so that 'docker compose up -d postgres redis' can run, or" >&2; \
    echo "  - run 'bash .ci/run', which installs and starts throw-away servers (Debian, root)." >&2; \
    exit 2; \
  fi; \
fi
endef

.PHONY: test
test: install ## Everything CI checks: lint, API, image, infrastructure, monitoring, workflows, docs
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
test-app: install ## Only the API's test suite (real PostgreSQL and Redis)
	@$(test_services); cd app && npm test

.PHONY: test-infra
test-infra: install ## Only the repository-wide suites (stacks, modules, live tree, monitoring, workflows, docs)
	@$(test_services); (cd app && npm run build) && npm test

# ---------------------------------------------------------------- local run
.PHONY: dev
dev: install ## Run the API on the host against local PostgreSQL/Redis (DATABASE_URL, REDIS_URL)
	cd app && npm run migrate && npm run dev

.PHONY: migrate
migrate: install ## Apply the database migrations (DATABASE_URL or POSTGRES_CONFIGURATION + POSTGRES_PASSWORD)
	cd app && npm run migrate

.PHONY: up
up: ## Start the whole local stack with Docker Compose (API, PostgreSQL, Redis, Traefik, Grafana, Prometheus, Loki, Tempo)
	@[ -f .env ] || { cp .env.example .env; echo "created .env from .env.example: replace every change-me in it"; }
	@! grep -q '=change-me$$' .env || echo "warning: .env still holds change-me placeholders (fine on a laptop, never elsewhere)"
	docker compose up --detach --build --wait
	@port="$$(sed -n 's/^TRAEFIK_HTTP_PORT=//p' .env)"; port="$${port:-80}"; suffix="$$([ "$$port" = 80 ] || echo ":$$port")"; \
	echo ""; \
	echo "API:     http://localhost$$suffix/health   (through Traefik; also /ready, /metrics, /api/v1/payments)"; \
	echo "Grafana: http://grafana.localhost$$suffix  (user admin, password GRAFANA_ADMIN_PASSWORD from .env)"; \
	echo "Stop with 'make down' (keeps the data) or 'make down VOLUMES=1' (deletes it). Guide: docs/local-stack.md"

.PHONY: down
down: ## Stop the local stack; data volumes are kept unless VOLUMES=1 (make down VOLUMES=1 resets the databases)
	docker compose down --remove-orphans $(if $(filter 1 yes true,$(VOLUMES)),--volumes)

# ---------------------------------------------------------------- performance
.PHONY: bench
bench: install ## Load benchmarks against real PostgreSQL/Redis; writes docs/performance.md
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
# live/README.md explains every step. ENV is checked before anything runs.
LIVE_TARGETS := plan deploy destroy outputs kubeconfig tunnel grafana
ifneq ($(filter $(LIVE_TARGETS),$(MAKECMDGOALS)),)
ifeq ($(filter $(ENV),$(ENVIRONMENTS)),)
$(error ENV='$(ENV)' is not an environment: use one of $(ENVIRONMENTS), e.g. make deploy ENV=development)
endif
endif

.PHONY: plan
plan: install ## Plan every layer of an environment: make plan ENV=development
	@live/environment.sh plan $(ENV)

.PHONY: deploy
deploy: install ## Deploy an environment in one line (preflight, synth, apply, smoke test): make deploy ENV=development
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
