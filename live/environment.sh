#!/usr/bin/env bash
# Operates one environment of the Terragrunt live tree; the Makefile's plan, deploy, destroy,
# outputs and kubeconfig targets call it (live/README.md walks through each).
#
#   live/environment.sh preflight  <environment>   check tools, versions, AWS identity, env.hcl
#   live/environment.sh plan       <environment>   synth, then terragrunt run --all plan
#   live/environment.sh deploy     <environment>   preflight, synth, apply shared + environment, smoke test
#   live/environment.sh destroy    <environment>   type the name back; app first, then the rest
#   live/environment.sh outputs    <environment>   every layer's outputs
#   live/environment.sh kubeconfig <environment>   aws eks update-kubeconfig for the cluster
#
# Terragrunt >= 0.90 spells "run --all" (older releases: "run-all", removed in 0.90) and
# bootstraps the state bucket only when asked (--backend-bootstrap, required since 0.87).
set -euo pipefail

# Builtins only up to the preflight, so that it can report missing tools on a bare PATH.
script_path="${BASH_SOURCE[0]}"
[[ "$script_path" == */* ]] || script_path="./$script_path"
live_dir="$(cd "${script_path%/*}" && pwd)"
repo_root="${live_dir%/*}"
readonly live_dir repo_root
readonly environments=(development staging production)
# Dependency order. Terragrunt derives the same order from the dependency blocks; it is
# spelled out here only to print the layers' outputs in a readable order.
readonly layers=(network cluster data platform app)
readonly placeholder_account_id="123456789012"

say() { printf '\n==> %s\n' "$*"; }
die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}

usage() {
  printf '%s\n' \
    'usage: live/environment.sh <preflight|plan|deploy|destroy|outputs|kubeconfig> <environment>' \
    '       environments: development, staging, production (e.g. make deploy ENV=development)' >&2
  exit 2
}

check_environment() {
  local candidate
  for candidate in "${environments[@]}"; do
    [[ "$1" == "$candidate" ]] && return 0
  done
  die "unknown environment '$1': use one of ${environments[*]} (e.g. make deploy ENV=development)"
}

# First `key = "value"` line of an HCL data file (env.hcl, account.hcl, mise.toml). Those files
# keep account_id, region and the pins as plain literals, so no HCL evaluator is needed here.
literal() {
  local file="$1" key="$2" line pattern
  pattern="^[[:space:]]*${key}[[:space:]]*=[[:space:]]*\"([^\"]*)\""
  while IFS= read -r line || [[ -n "$line" ]]; do
    if [[ "$line" =~ $pattern ]]; then
      printf '%s\n' "${BASH_REMATCH[1]}"
      return 0
    fi
  done <"$file"
  return 0
}

# Returns 0 when version $1 is older than version $2 (both "major.minor.patch").
version_older() {
  local -a found pinned
  local i
  IFS=. read -r -a found <<<"$1"
  IFS=. read -r -a pinned <<<"$2"
  for i in 0 1 2; do
    if ((10#${found[i]:-0} != 10#${pinned[i]:-0})); then
      ((10#${found[i]:-0} < 10#${pinned[i]:-0}))
      return
    fi
  done
  return 1
}

# ------------------------------------------------------------------------------ preflight
problems=()
warnings=()
problem() { problems+=("$*"); }
warning() { warnings+=("$*"); }

# tool mise-name version-command...: present, and not older than mise.toml's pin.
check_tool() {
  local tool="$1" pin_name="$2" pinned output found
  shift 2
  pinned="$(literal "$repo_root/mise.toml" "$pin_name")"
  if ! command -v "$tool" >/dev/null 2>&1; then
    problem "$tool is not installed (mise.toml pins $pin_name ${pinned:-?}): run 'mise install' in the repository, or see live/README.md, 'Prerequisites'"
    return 0
  fi
  output="$("$@" 2>&1 || true)"
  if [[ ! "$output" =~ ([0-9]+)\.([0-9]+)\.([0-9]+) ]]; then
    warning "could not read the version of $tool from '$*'"
    return 0
  fi
  found="${BASH_REMATCH[1]}.${BASH_REMATCH[2]}.${BASH_REMATCH[3]}"
  if [[ -z "$pinned" ]]; then
    warning "mise.toml has no pin for $pin_name"
  elif version_older "$found" "$pinned"; then
    problem "$tool $found is older than $pinned pinned in mise.toml: run 'mise install' (or upgrade $tool)"
  elif [[ "${found%.*}" != "${pinned%.*}" ]]; then
    warning "$tool $found is newer than $pinned pinned in mise.toml; it should work, the pin is what CI uses"
  fi
}

# action: plan, deploy, destroy, outputs or kubeconfig; deploy checks the most.
preflight() {
  local environment="$1" action="$2" env_file env_text account_id region domain certificate_arn identity
  env_file="$live_dir/$environment/env.hcl"
  problems=()
  warnings=()

  check_tool terraform terraform terraform version
  check_tool terragrunt terragrunt terragrunt --version
  check_tool aws awscli aws --version
  check_tool kubectl kubectl kubectl version --client
  check_tool helm helm helm version --short
  if [[ "$action" == plan || "$action" == deploy ]]; then
    if ! command -v node >/dev/null 2>&1; then
      problem "node is not installed: Node.js >= 20.19 synthesizes modules/ from stacks/ (https://nodejs.org)"
    fi
    if ! command -v npm >/dev/null 2>&1; then
      problem "npm is not installed: it comes with Node.js >= 20.19 (https://nodejs.org)"
    fi
  fi
  if [[ "$action" == deploy ]]; then
    if ! command -v curl >/dev/null 2>&1; then
      problem "curl is not installed: the smoke test calls https://<api host>/ready with it"
    fi
    if [[ -z "${IMAGE_TAG:-}" ]] && ! command -v docker >/dev/null 2>&1; then
      problem "docker is not installed: it builds and pushes the API image; install Docker, or set IMAGE_TAG to a tag already pushed to the ECR repository"
    fi
  fi

  account_id="$(literal "$env_file" account_id)"
  region="$(literal "$env_file" region)"
  if [[ -z "$account_id" ]]; then
    problem "live/$environment/env.hcl has no account_id"
  elif [[ "$account_id" == "$placeholder_account_id" ]]; then
    problem "live/$environment/env.hcl still has the placeholder account_id $placeholder_account_id: set your 12-digit AWS account id (aws sts get-caller-identity --query Account --output text)"
  fi
  if [[ -z "$region" ]]; then
    problem "live/$environment/env.hcl has no region (e.g. region = \"eu-west-3\")"
  else
    if [[ -n "${AWS_REGION:-}" && "$AWS_REGION" != "$region" ]]; then
      warning "AWS_REGION=$AWS_REGION differs from live/$environment/env.hcl; using $region for this run"
    fi
    export AWS_REGION="$region" AWS_DEFAULT_REGION="$region"
  fi
  if [[ "$action" == deploy ]]; then
    domain="$(literal "$env_file" domain)"
    certificate_arn="$(literal "$env_file" certificate_arn)"
    if [[ "$domain" == *example.com ]]; then
      problem "live/$environment/env.hcl still has the placeholder domain $domain: set a domain you control (live/README.md, 'Domain and certificate')"
    fi
    if [[ "$certificate_arn" == *00000000-0000-0000-0000-000000000000 ]]; then
      problem "live/$environment/env.hcl still has the placeholder certificate_arn: request an ACM certificate for api.$domain and grafana.$domain in $region and paste its ARN"
    fi
    env_text="$(<"$env_file")"
    if [[ "$env_text" == *'"203.0.113.10/32"'* ]]; then
      problem "live/$environment/env.hcl still has the placeholder public_access_cidrs 203.0.113.10/32: put your public IP as x.x.x.x/32 (curl https://checkip.amazonaws.com), or Terragrunt cannot reach the Kubernetes API"
    fi
    if [[ "$env_text" == *':role/payflow-admin"'* ]]; then
      problem "live/$environment/env.hcl still has the placeholder admin_principal_arns: put the ARN of the IAM role you deploy with (aws sts get-caller-identity shows it)"
    fi
  fi

  if command -v aws >/dev/null 2>&1; then
    if ! identity="$(aws sts get-caller-identity --query Account --output text 2>&1)"; then
      problem "no usable AWS credentials (aws sts get-caller-identity failed: ${identity//$'\n'/ }): run 'aws configure sso' then 'export AWS_PROFILE=<profile>', or export AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY"
    elif [[ -n "$account_id" && "$identity" != "$account_id" ]]; then
      problem "you are logged in to AWS account $identity but live/$environment/env.hcl says $account_id: switch profile (export AWS_PROFILE=...) or fix account_id"
    fi
  fi

  local item
  for item in "${warnings[@]}"; do printf 'warning: %s\n' "$item" >&2; done
  if ((${#problems[@]})); then
    printf 'preflight for %s %s found %d problem(s):\n' "$action" "$environment" "${#problems[@]}" >&2
    for item in "${problems[@]}"; do printf '  - %s\n' "$item" >&2; done
    exit 1
  fi
  printf 'preflight ok: tools, AWS account %s, region %s\n' "$account_id" "$region"
}

# ------------------------------------------------------------------------------ helpers
synth() {
  say "synthesizing modules/ from stacks/ (npm run synth)"
  cd "$repo_root"
  [[ -d node_modules ]] || npm ci --no-audit --no-fund
  npm run --silent synth
}

# dir args...: terragrunt on every unit under dir, in dependency order (reverse for destroy).
run_all() {
  local dir="$1"
  shift
  (cd "$dir" && terragrunt run --all --non-interactive --backend-bootstrap "$@")
}

# unit output-name: one raw output of an applied unit.
unit_output() {
  (cd "$1" && terragrunt output -raw "$2")
}

# Builds app/ and pushes it to the ECR repository of live/shared unless the tag is there already
# (the repository's tags are immutable). Prints the tag: the full commit SHA, as CI tags its
# images and as live/_units/app.hcl defaults to, so an image CI pushed is reused here.
push_image() {
  local repository_url="$1" tag registry
  tag="$(git -C "$repo_root" rev-parse HEAD)"
  if aws ecr describe-images --repository-name "${repository_url#*/}" --image-ids "imageTag=$tag" >/dev/null 2>&1; then
    printf '%s\n' "$tag"
    return 0
  fi
  registry="${repository_url%%/*}"
  aws ecr get-login-password | docker login --username AWS --password-stdin "$registry" >&2
  docker build --platform linux/amd64 -t "$repository_url:$tag" "$repo_root/app" >&2
  docker push "$repository_url:$tag" >&2
  printf '%s\n' "$tag"
}

# The API answers /ready once the load balancer and the pods are up: a few minutes on a first
# deploy. No module manages DNS, so the request goes to the Ingress's load balancer directly
# (curl --connect-to keeps the API hostname for TLS) and works before the DNS record exists.
smoke_test() {
  local environment="$1" api_url host grafana_url kubeconfig load_balancer="" attempt
  api_url="$(unit_output "$live_dir/$environment/app" api_url)"
  [[ "$api_url" == http* ]] || api_url="https://$api_url"
  host="${api_url#*://}"
  host="${host%%/*}"
  kubeconfig="$(mktemp)"
  # shellcheck disable=SC2064 # expand now: the path is local to this function
  trap "rm -f '$kubeconfig'; trap - RETURN" RETURN
  KUBECONFIG="$kubeconfig" aws eks update-kubeconfig --region "$AWS_REGION" \
    --name "$(unit_output "$live_dir/$environment/cluster" cluster_name)" >/dev/null
  say "smoke test: GET $api_url/ready"
  for attempt in $(seq 1 40); do
    load_balancer="$(KUBECONFIG="$kubeconfig" kubectl -n payflow get ingress \
      -o jsonpath='{.items[0].status.loadBalancer.ingress[0].hostname}' 2>/dev/null || true)"
    if [[ -n "$load_balancer" ]] &&
      curl --fail --silent --show-error --max-time 10 \
        --connect-to "$host:443:$load_balancer:443" "$api_url/ready"; then
      printf '\n'
      grafana_url="$(unit_output "$live_dir/$environment/platform" grafana_url)"
      [[ "$grafana_url" == http* ]] || grafana_url="https://$grafana_url"
      say "$environment is up"
      printf '  API:           %s\n  Grafana:       %s\n  Load balancer: %s\n' \
        "$api_url" "$grafana_url" "$load_balancer"
      printf 'If not done yet, point %s and %s at the load balancer (DNS CNAME records, live/README.md).\n' \
        "$host" "${grafana_url#*://}"
      return 0
    fi
    printf '  not ready yet (attempt %d/40), retrying in 15 s\n' "$attempt"
    sleep 15
  done
  die "$api_url/ready did not answer 200 within 10 minutes: see live/README.md, 'When the smoke test fails'"
}

# Load balancers created by the AWS Load Balancer Controller for this cluster's Ingresses.
wait_for_load_balancers() {
  local cluster_name="$1" remaining attempt
  for attempt in $(seq 1 40); do
    remaining="$(aws resourcegroupstaggingapi get-resources \
      --resource-type-filters elasticloadbalancing:loadbalancer \
      --tag-filters "Key=elbv2.k8s.aws/cluster,Values=$cluster_name" \
      --query 'ResourceTagMappingList[].ResourceARN' --output text)"
    [[ -z "$remaining" || "$remaining" == None ]] && return 0
    printf '  waiting for the controller to delete %s (attempt %d/40)\n' "$remaining" "$attempt"
    sleep 15
  done
  die "load balancers of $cluster_name still exist after 10 minutes; delete them in the EC2 console, then run make destroy again"
}

# ------------------------------------------------------------------------------ actions
plan() {
  local environment="$1"
  preflight "$environment" plan
  synth
  say "terragrunt run --all plan in live/$environment (layers not applied yet plan against mock outputs)"
  run_all "$live_dir/$environment" plan
}

deploy() {
  local environment="$1" repository_url
  preflight "$environment" deploy
  synth
  say "account-wide resources (live/shared/global): ECR repository, GitHub OIDC provider and roles"
  run_all "$live_dir/shared/global" apply
  if [[ -z "${IMAGE_TAG:-}" ]]; then
    repository_url="$(unit_output "$live_dir/shared/global" ecr_repository_url)"
    say "building the API image and pushing it to $repository_url"
    IMAGE_TAG="$(push_image "$repository_url")"
  fi
  export IMAGE_TAG
  say "terragrunt run --all apply in live/$environment: network, cluster, data, platform, app (image $IMAGE_TAG)"
  run_all "$live_dir/$environment" apply
  smoke_test "$environment"
}

destroy() {
  local environment="$1" answer cluster_name
  if [[ "$environment" == production && "${CONFIRM_PRODUCTION_DESTROY:-}" != yes ]]; then
    die "refusing to destroy production: run again with CONFIRM_PRODUCTION_DESTROY=yes (and deletion_protection = false applied to the database first)"
  fi
  printf 'This destroys every layer of %s (network, cluster, data, platform, app) and its data.\n' "$environment"
  printf 'Type the environment name (%s) to confirm: ' "$environment"
  read -r answer || true
  [[ "$answer" == "$environment" ]] || die "aborted: you typed '$answer', not '$environment'; nothing was destroyed"
  preflight "$environment" destroy

  # The Ingress's load balancer is deleted by the controller running in the platform layer, and
  # it holds the public subnets: the app goes first and its load balancer must be gone before
  # the rest is destroyed. run --all destroy walks the dependency graph in reverse
  # (app, platform, data, cluster, network); the explicit first step makes the wait possible.
  cluster_name="$(unit_output "$live_dir/$environment/cluster" cluster_name 2>/dev/null || true)"
  say "destroying live/$environment/app (the API, its Ingress and load balancer)"
  run_all "$live_dir/$environment/app" destroy
  if [[ -n "$cluster_name" ]]; then
    wait_for_load_balancers "$cluster_name"
  fi
  say "destroying the rest of live/$environment in reverse dependency order"
  run_all "$live_dir/$environment" destroy
  say "$environment destroyed. The account-wide live/shared/global (ECR, GitHub roles) and the state bucket are kept."
}

outputs() {
  local environment="$1" layer
  for layer in "${layers[@]}"; do
    say "$layer"
    (cd "$live_dir/$environment/$layer" && terragrunt output)
  done
}

kubeconfig() {
  local environment="$1" cluster_name region
  region="$(literal "$live_dir/$environment/env.hcl" region)"
  cluster_name="$(unit_output "$live_dir/$environment/cluster" cluster_name)"
  aws eks update-kubeconfig --region "$region" --name "$cluster_name" --alias "payflow-$environment"
  printf 'kubectl now talks to %s (context payflow-%s): try kubectl get nodes\n' "$cluster_name" "$environment"
}

main() {
  (($# == 2)) || usage
  local action="$1" environment="$2"
  check_environment "$environment"
  case "$action" in
    preflight) preflight "$environment" deploy ;;
    plan | deploy | destroy | outputs | kubeconfig) "$action" "$environment" ;;
    *) usage ;;
  esac
}

main "$@"
