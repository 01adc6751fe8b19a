#!/usr/bin/env bash
# The Makefile's plan, deploy, destroy, outputs, kubeconfig, tunnel and grafana targets on one
# environment of the Terragrunt live tree (live/README.md walks through each). It only sequences:
# settings come from live/environment-settings.ts, and the modules' validations check them.
# Switches: SKIP_SHARED=1 (deploy only reads live/shared/global: CI's deploy role may not manage
# its own IAM roles), DECOMMISSION=true (destroy protected data), CONFIRM_PRODUCTION_DESTROY=yes,
# GRAFANA_PORT (default 3000), TF_PLUGIN_CACHE_DIR, PAYFLOW_TODAY (YYYY-MM-DD, for the Kubernetes
# support warning). Since 0.95, Terragrunt's "run --all" leaves dependencies outside the folder
# (live/shared/global) out of the run: SKIP_SHARED relies on it (the preflight requires 0.99).
set -euo pipefail

# Builtins only up to the preflight, so that it can report missing tools on a bare PATH.
script_path="${BASH_SOURCE[0]}"
[[ "$script_path" == */* ]] || script_path="./$script_path"
live_dir="$(cd "${script_path%/*}" && pwd)"
repo_root="${live_dir%/*}"
readonly live_dir repo_root
# Names the stacks define once (ENVIRONMENTS, AWS_REGION_PATTERN, APP_NAMESPACE, GRAFANA_SERVICE):
# stacks/test/names-in-bash.test.ts keeps these copies equal to them.
readonly environments=(development staging production)
readonly app_namespace=payflow
# Dependency order (Terragrunt's, checked by live/test/live-deploy.test.ts): deploy and outputs
# go through it one layer at a time, destroy backwards, deleting what AWS leaves between two layers.
readonly layers=(network cluster data edge platform app dns)
# The layers whose Terraform providers talk to the Kubernetes API: through the SSM tunnel.
readonly kubernetes_layers=(platform app)
readonly placeholder_account_id="123456789012"
readonly region_pattern='^[a-z]{2}(-[a-z]+)+-[0-9]$'
# EC2 quotas (Service Quotas codes) the cluster's nodes and the NAT gateways count against.
readonly on_demand_vcpu_quota=L-1216C47A # Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances
readonly spot_vcpu_quota=L-34B43A08      # All Standard (A, C, D, H, I, M, R, T, Z) Spot Instance Requests
readonly elastic_ip_quota=L-0263D0A3     # EC2-VPC Elastic IPs
# Instance types those two vCPU quotas count (the families A, C, D, H, I, M, R, T, Z).
readonly standard_family_pattern='^(a|c|d|h|i|im|is|m|r|t|z)[0-9]'
# Grafana's Service and where it is opened.
readonly grafana_service=kube-prometheus-stack-grafana
readonly grafana_namespace=monitoring

say() { printf '\n==> %s\n' "$*"; }
die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}

usage() {
  printf '%s\n' \
    'usage: live/environment.sh <preflight|plan|deploy|destroy|outputs|kubeconfig|grafana> <environment>' \
    '       live/environment.sh tunnel <environment> [command...]' \
    "       environments: ${environments[*]} (e.g. make deploy ENV=development)" >&2
  exit 2
}

# value allowed...: whether value is one of the allowed words.
one_of() {
  local value="$1" allowed
  shift
  for allowed in "$@"; do [[ "$value" == "$allowed" ]] && return 0; done
  return 1
}

# attempts what command...: runs command (output discarded) until it succeeds, at most attempts
# times, 15 s apart, saying what before each wait. A failure is one more attempt, not set -e's end.
retry_every_15s() {
  local attempts="$1" what="$2" attempt
  shift 2
  for ((attempt = 1; ; attempt++)); do
    "$@" >/dev/null && return 0
    ((attempt < attempts)) || return 1
    printf '  %s (attempt %d/%d), retrying in 15 s\n' "$what" "$attempt" "$attempts"
    sleep 15
  done
}

# The version mise.toml pins for a tool: its `name = "x.y.z"` line in the flat [tools] table.
mise_pin() {
  local name="$1" line pattern
  pattern="^[[:space:]]*${name}[[:space:]]*=[[:space:]]*\"([^\"]*)\""
  [[ -f "$repo_root/mise.toml" ]] || return 0
  while IFS= read -r line || [[ -n "$line" ]]; do
    if [[ "$line" =~ $pattern ]]; then
      printf '%s\n' "${BASH_REMATCH[1]}"
      return 0
    fi
  done <"$repo_root/mise.toml"
}

# ------------------------------------------------------------------------------ settings
# settings[env.<path>], settings[account.<path>], settings[root.<path>]: the locals of
# live/<env>/env.hcl, live/shared/account.hcl and root.hcl, by their full path
# (env.database.db_deletion_protection), as live/environment-settings.ts
# prints them; a list of words is one space-separated value. settings_problem says why they
# could not be read (then settings is empty).
declare -A settings=()
settings_problem=""
load_settings() {
  local environment="$1" output line
  if ! command -v node >/dev/null 2>&1; then
    settings_problem="node is not installed: Node.js >= 24.11 reads live/$environment/env.hcl and synthesizes modules/ (https://nodejs.org)"
  elif [[ ! -d "$repo_root/node_modules/tsx" || ! -d "$repo_root/node_modules/@cdktf/hcl2json" ]]; then
    settings_problem="the repository's npm packages are missing (tsx and @cdktf/hcl2json read env.hcl): run 'make install'"
  elif ! output="$(cd "$repo_root" && node --require tsx/cjs live/environment-settings.ts "$environment")"; then
    settings_problem="could not read the settings of $environment: ${output#error: }"
  fi
  [[ -z "$settings_problem" ]] || return 1
  while IFS= read -r line; do
    [[ "$line" == *=* ]] && settings["${line%%=*}"]="${line#*=}"
  done <<<"$output"
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

# tool mise-name need version-command...: present, and not older than mise.toml's pin. need is
# "required" (a missing or old tool is a problem) or why the tool is optional (a warning).
check_tool() {
  local tool="$1" pin_name="$2" need="$3" pinned output found report=problem
  shift 3
  pinned="$(mise_pin "$pin_name")"
  if [[ "$need" == required ]]; then
    need="run 'mise install' in the repository, or see live/README.md, 'Prerequisites'"
  else
    report=warning
  fi
  if ! command -v "$tool" >/dev/null 2>&1; then
    "$report" "$tool is not installed (mise.toml pins $pin_name ${pinned:-?}): $need"
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
    "$report" "$tool $found is older than $pinned pinned in mise.toml: run 'mise install' (or upgrade $tool)"
  elif [[ "${found%.*}" != "${pinned%.*}" ]]; then
    warning "$tool $found is newer than $pinned pinned in mise.toml; it should work, the pin is what CI uses"
  fi
}

# prefix file label hint: the account_id (optional: the caller's account when absent) and region
# of env.hcl or account.hcl, left in scope_account and scope_region (empty when absent or
# unusable, so that later checks stay quiet).
check_scope() {
  local prefix="$1" file="$2" label="$3" hint="$4"
  scope_account="${settings[$prefix.account_id]-}"
  scope_region="${settings[$prefix.region]-}"
  if [[ ! -f "$file" ]]; then
    problem "$label is missing: it holds region and environment (live/README.md, 'What is in this folder')"
    return 0
  fi
  # No account_id at all is fine: root.hcl then takes the account of the credentials.
  if [[ "$scope_account" == "$placeholder_account_id" ]]; then
    problem "$label still has the placeholder account_id $placeholder_account_id: $hint"
    scope_account=""
  elif [[ -n "${settings[$prefix.account_id]+set}" && ! "$scope_account" =~ ^[0-9]{12}$ ]]; then
    problem "$label has account_id '$scope_account', not a 12-digit AWS account id: $hint"
    scope_account=""
  fi
  if [[ -z "$scope_region" ]]; then
    problem "$label has no region (e.g. region = \"eu-west-3\")"
  elif [[ ! "$scope_region" =~ $region_pattern ]]; then
    problem "$label has region '$scope_region', not an AWS region name (e.g. region = \"eu-west-3\")"
    scope_region=""
  fi
}

# S3's naming rules for the bucket root.hcl derives from project, account_id and region.
valid_bucket_name() {
  local name="$1"
  ((${#name} >= 3 && ${#name} <= 63)) &&
    [[ "$name" =~ ^[a-z0-9][a-z0-9.-]*[a-z0-9]$ && "$name" != *..* ]] &&
    [[ "$name" != xn--* && "$name" != sthree-* && "$name" != *-s3alias && "$name" != *--ol-s3 ]]
}

# label account region: the state bucket root.hcl names for one scope (printed), or a problem.
check_state_bucket() {
  local label="$1" account="$2" region="$3" project template
  state_bucket=""
  project="${settings[root.project]-}"
  template="${settings[root.state_bucket_config.bucket]-}"
  if [[ -z "$project" ]]; then
    problem "root.hcl has no project (e.g. project = \"payflow\"): it names the state bucket and every resource"
    return 0
  fi
  if [[ -z "$template" ]]; then
    problem "root.hcl has no state bucket (bucket = \"\${local.project}-tfstate-\${local.account_id}-\${local.region}\" in state_bucket_config)"
    return 0
  fi
  [[ -n "$account" && -n "$region" ]] || return 0
  state_bucket="${template//\$\{local.project\}/$project}"
  state_bucket="${state_bucket//\$\{local.account_id\}/$account}"
  state_bucket="${state_bucket//\$\{local.region\}/$region}"
  if [[ "$state_bucket" == *"\${"* ]]; then
    warning "could not check the state bucket name $template of root.hcl: it uses more than local.project, local.account_id and local.region"
    state_bucket=""
  elif ! valid_bucket_name "$state_bucket"; then
    problem "root.hcl names the state bucket of $label '$state_bucket', not a valid S3 bucket name (3 to 63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or a digit): shorten or fix project in root.hcl"
    state_bucket=""
  fi
}

# The GitHub repository whose workflows the OIDC roles of live/shared trust (root.hcl); empty:
# live/shared creates no GitHub roles (a laptop deploy needs none).
check_github_repository() {
  local repository="${settings[root.github_repository]-}"
  if [[ -n "$repository" && ! "$repository" =~ ^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$ ]]; then
    problem "root.hcl has github_repository '$repository', not owner/name (e.g. my-org/payflow-platform), nor \"\" (no GitHub roles)"
  elif [[ -n "${GITHUB_REPOSITORY:-}" && "$GITHUB_REPOSITORY" != "$repository" ]]; then
    problem "root.hcl says github_repository '$repository' but this runs in the GitHub repository $GITHUB_REPOSITORY: set github_repository to $GITHUB_REPOSITORY, the only repository the OIDC roles of live/shared should trust"
  fi
}

readonly switch_on_words=(1 true yes) switch_off_words=('' 0 false no)
# 1, true or yes: on; unset, empty, 0, false or no: off; anything else stops the run.
switch_on() {
  local name="$1" value="${!1:-}"
  one_of "$value" "${switch_on_words[@]}" && return 0
  one_of "$value" "${switch_off_words[@]}" && return 1
  die "$name=$value is neither on nor off: use $name=true (or 1), or leave it unset"
}

# Whether deploy applies live/shared/global (the default) or only reads its outputs.
applies_shared() { ! switch_on SKIP_SHARED; }

# A docker command is not enough: make deploy would apply the shared layer, then fail at docker
# build. `docker info` answers only when an engine runs.
check_docker() {
  [[ -z "${IMAGE_TAG:-}" ]] || return 0
  if ! command -v docker >/dev/null 2>&1; then
    problem "docker is not installed: it builds and pushes the API image; install Docker, or set IMAGE_TAG to a tag already pushed to the ECR repository"
  elif ! docker info >/dev/null 2>&1; then
    problem "no Docker engine answers (docker info failed): start Docker Desktop or the docker service (sudo systemctl start docker), or set IMAGE_TAG to a tag already pushed to the ECR repository"
  fi
}

# environment action account shared_account: who the AWS credentials are. Leaves the account
# in caller_account and the principal's ARN in caller_arn (empty without credentials).
check_caller() {
  local environment="$1" action="$2" account="$3" shared_account="$4" identity who=""
  caller_account=""
  caller_arn=""
  command -v aws >/dev/null 2>&1 || return 0
  if ! identity="$(aws sts get-caller-identity --query '[Account,Arn]' --output text 2>&1)"; then
    problem "no usable AWS credentials (aws sts get-caller-identity failed: ${identity//$'\n'/ }): run 'aws configure sso' then 'export AWS_PROFILE=<profile>', or export AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY"
    return 0
  fi
  read -r caller_account caller_arn <<<"$identity"
  if [[ -n "$account" && "$caller_account" != "$account" ]]; then
    problem "you are logged in to AWS account $caller_account but live/$environment/env.hcl says $account: switch profile (export AWS_PROFILE=...) or fix account_id"
  fi
  if [[ -n "$shared_account" && "$caller_account" != "$shared_account" ]]; then
    if [[ "$action" == deploy ]] && applies_shared; then
      problem "you are logged in to AWS account $caller_account but live/shared/account.hcl says $shared_account: make deploy applies live/shared/global with these credentials; fix account_id there, or set SKIP_SHARED=1 when that account's unit is applied by someone else"
    else
      warning "live/shared/account.hcl says account $shared_account, you are logged in to $caller_account: reading live/shared/global's outputs needs access to the state bucket of $shared_account"
    fi
  fi
  [[ "$action" == deploy ]] || return 0
  # The cluster layer makes the IAM role behind this session (or this IAM user) a cluster admin
  # (modules/cluster, grant_deployer_admin): the platform and app layers need it. EKS can grant
  # only roles and users, and never the read-only viewers.
  case "$caller_arn" in
    arn:*:iam::*:root) who="the root user of account $caller_account" ;;
    arn:*:sts::*:federated-user/*) who="a federated user ($caller_arn)" ;;
    arn:*:sts::*:assumed-role/*-github-plan/*)
      problem "you are signed in with the read-only GitHub plan role ($caller_arn), which never administers a cluster: deploy with the deploy role or your own"
      ;;
  esac
  [[ -z "$who" ]] ||
    problem "you are signed in as $who, which EKS cannot make a cluster administrator: sign in with a role (aws configure sso) or an IAM user's access keys"
}

# code: the value of an EC2 quota in the region; the AWS default when the account has none of
# its own. Fails when Service Quotas cannot be read.
ec2_quota() {
  local code="$1" value
  value="$(aws service-quotas get-service-quota --service-code ec2 --quota-code "$code" \
    --query Quota.Value --output text 2>/dev/null)" ||
    value="$(aws service-quotas get-aws-default-service-quota --service-code ec2 --quota-code "$code" \
      --query Quota.Value --output text 2>/dev/null)" || return 1
  [[ "$value" =~ ^[0-9]+(\.[0-9]+)?$ ]] || return 1
  printf '%s\n' "${value%%.*}"
}

# environment cluster: the vCPUs the node group can scale to (node_max_size nodes of the largest
# of node_instance_types) against what the On-Demand or Spot quota leaves free. Instances of this
# cluster already running are not counted as used: a redeploy replaces them.
check_vcpu_quota() {
  local environment="$1" cluster="$2" capacity max_size code quota_name lifecycle label type vcpus
  local largest=0 used=0 quota="" types_output instances_output running_type running_lifecycle running_cluster
  local -a types=()
  local -A vcpus_of=()
  capacity="${settings[env.cluster.node_capacity_type]-ON_DEMAND}"
  max_size="${settings[env.cluster.node_max_size]-}"
  read -r -a types <<<"${settings[env.cluster.node_instance_types]-}"
  # Anything else is refused by the cluster module's own validations, at plan time.
  ((${#types[@]})) && [[ "$max_size" =~ ^[0-9]+$ ]] || return 0
  if [[ "$capacity" == SPOT ]]; then
    code="$spot_vcpu_quota" label=Spot lifecycle=spot
    quota_name="All Standard (A, C, D, H, I, M, R, T, Z) Spot Instance Requests"
  else
    code="$on_demand_vcpu_quota" label=On-Demand lifecycle=None # no InstanceLifecycle: On-Demand
    quota_name="Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances"
  fi
  if instances_output="$(aws ec2 describe-instances \
    --filters Name=instance-state-name,Values=pending,running \
    --query "Reservations[].Instances[].[InstanceType,InstanceLifecycle,Tags[?Key=='eks:cluster-name']|[0].Value]" \
    --output text 2>&1)"; then
    # The vCPUs of every type involved: the node group's and those running (each type once).
    while read -r type _; do
      [[ -n "$type" ]] && vcpus_of["$type"]=0
    done <<<"$instances_output"
    for type in "${types[@]}"; do vcpus_of["$type"]=0; done
    if types_output="$(aws ec2 describe-instance-types --instance-types "${!vcpus_of[@]}" \
      --query 'InstanceTypes[].[InstanceType,VCpuInfo.DefaultVCpus]' --output text 2>&1)"; then
      quota="$(ec2_quota "$code")" || quota=""
    fi
  fi
  if [[ -z "$quota" ]]; then
    warning "could not compare the vCPUs of live/$environment/env.hcl with the EC2 quota $code (ec2:DescribeInstances, ec2:DescribeInstanceTypes, servicequotas:GetServiceQuota): check it in the Service Quotas console"
    return 0
  fi
  while read -r type vcpus; do
    [[ -n "$type" && "$vcpus" =~ ^[0-9]+$ ]] && vcpus_of["$type"]="$vcpus"
  done <<<"$types_output"
  for type in "${types[@]}"; do
    if [[ ! "$type" =~ $standard_family_pattern ]]; then
      warning "$type is not a standard (A, C, D, H, I, M, R, T, Z) instance type: its EC2 quota is not checked"
    elif ((${vcpus_of[$type]:-0} > largest)); then
      largest="${vcpus_of[$type]}"
    fi
  done
  while read -r running_type running_lifecycle running_cluster; do
    [[ -n "$running_type" && "$running_lifecycle" == "$lifecycle" && "$running_cluster" != "$cluster" &&
      "$running_type" =~ $standard_family_pattern ]] || continue
    used=$((used + ${vcpus_of[$running_type]:-0}))
  done <<<"$instances_output"
  local need=$((max_size * largest)) free=$((quota - used))
  capacity_summary+=("$need of $((free > 0 ? free : 0)) free $label vCPUs")
  if ((need > free)); then
    problem "live/$environment/env.hcl lets the nodes scale to $max_size x $largest = $need vCPUs of $label capacity, but the EC2 quota '$quota_name' ($code) leaves $((free > 0 ? free : 0)) of $quota free in $AWS_REGION: request an increase (Service Quotas console, Amazon EC2, $code; usually approved within minutes), or lower cluster.node_max_size"
  fi
}

# environment project: one Elastic IP per NAT gateway against the account's Elastic IP quota;
# addresses already tagged for this environment are not counted as used.
check_elastic_ip_quota() {
  local environment="$1" project="$2" need used=0 quota addresses_output tag_project tag_environment
  local -a azs=()
  read -r -a azs <<<"${settings[env.network.azs]-}"
  if [[ "${settings[env.network.single_nat_gateway]-}" == true ]]; then need=1; else need=${#azs[@]}; fi
  ((need)) || return 0
  if ! addresses_output="$(aws ec2 describe-addresses \
    --query "Addresses[].[Tags[?Key=='Project']|[0].Value,Tags[?Key=='Environment']|[0].Value]" \
    --output text 2>&1)" || ! quota="$(ec2_quota "$elastic_ip_quota")"; then
    warning "could not compare the NAT gateways of live/$environment/env.hcl with the Elastic IP quota $elastic_ip_quota (ec2:DescribeAddresses, servicequotas:GetServiceQuota): check it in the Service Quotas console"
    return 0
  fi
  while read -r tag_project tag_environment; do
    [[ -n "$tag_project" ]] || continue
    [[ "$tag_project" == "$project" && "$tag_environment" == "$environment" ]] || used=$((used + 1))
  done <<<"$addresses_output"
  local free=$((quota - used))
  capacity_summary+=("$need of $((free > 0 ? free : 0)) free Elastic IPs")
  if ((need > free)); then
    problem "live/$environment/env.hcl needs $need Elastic IP(s), one per NAT gateway, but the quota 'EC2-VPC Elastic IPs' ($elastic_ip_quota) leaves $((free > 0 ? free : 0)) of $quota free in $AWS_REGION: release unused addresses (aws ec2 describe-addresses), request an increase (Service Quotas console, Amazon EC2, $elastic_ip_quota), or set network.single_nat_gateway = true"
  fi
}

# cluster: EKS writes its last control-plane logs after the cluster is deleted, re-creating the
# log group the cluster layer creates (with retention and encryption), whose create then fails.
check_leftover_log_group() {
  local cluster="$1" log_group="/aws/eks/$1/cluster" found
  found="$(aws logs describe-log-groups --log-group-name-prefix "$log_group" \
    --query 'logGroups[].logGroupName' --output text 2>/dev/null)" || return 0
  [[ " $found " == *" $log_group "* ]] || return 0
  if ! aws eks describe-cluster --name "$cluster" >/dev/null 2>&1; then
    problem "the log group $log_group exists without its cluster (left by a destroyed cluster; the cluster layer would fail to create it): aws logs delete-log-group --log-group-name $log_group"
  fi
}

# environment: the public address of env.hcl (dns.zone), left in public_zone. Staging
# and production serve the API over HTTPS only; development without a zone ends on plain HTTP
# (a warning). The zone itself is looked up once the AWS credentials are known (check_hosted_zone).
check_public_address() {
  local environment="$1"
  public_zone="${settings[env.dns.zone]-}"
  if [[ -z "$public_zone" && "$environment" == development ]]; then
    warning "live/$environment/env.hcl has no dns.zone: the API will answer plain HTTP on the load balancer's own name; set dns.zone to a Route 53 hosted zone of the account for https:// (live/README.md, 'The public address: DNS and TLS')"
  elif [[ -z "$public_zone" ]]; then
    problem "live/$environment/env.hcl has no dns.zone: $environment serves the API over HTTPS only; set dns.zone to a public Route 53 hosted zone of the account (aws route53 list-hosted-zones)"
  elif [[ "$public_zone" == example.com ]]; then
    problem "live/$environment/env.hcl still has the placeholder dns.zone example.com: set a public Route 53 hosted zone of the account (aws route53 list-hosted-zones)"
    public_zone=""
  fi
}

# environment: ACM validates the certificate by DNS in the zone, and the names are written there:
# it must be a public hosted zone of the account the credentials are for.
check_hosted_zone() {
  local environment="$1" answer
  [[ -n "$public_zone" ]] || return 0
  if ! answer="$(aws route53 list-hosted-zones-by-name --dns-name "$public_zone" --max-items 1 \
    --query 'HostedZones[0].[Name,Config.PrivateZone]' --output text 2>&1)"; then
    warning "could not look up the hosted zone $public_zone (route53:ListHostedZonesByName: ${answer//$'\n'/ }): check it in the Route 53 console"
    return 0
  fi
  if [[ "${answer%%$'\n'*}" != "$public_zone."$'\t'False ]]; then
    problem "the account has no public Route 53 hosted zone $public_zone (dns.zone of live/$environment/env.hcl): create it and delegate the domain to its name servers, or name a zone of the account (aws route53 list-hosted-zones)"
  fi
}

# action: plan, deploy, destroy or tunnel; deploy checks the most.
capacity_summary=()
preflight() {
  local environment="$1" action="$2" account_id="" region="" shared_account="" shared_region=""
  local bucket_summary project cluster account_source="" item
  problems=()
  warnings=()
  capacity_summary=()

  check_tool terraform terraform required terraform version
  check_tool terragrunt terragrunt required terragrunt --version
  check_tool aws awscli required aws --version
  check_tool kubectl kubectl required kubectl version --client
  check_tool helm helm \
    "make $action does not use it (Terraform installs the Helm releases); docs/runbooks/rollback.md does, to roll the API back by hand" \
    helm version --short
  check_cluster_access_tools "$action"
  if [[ "$action" == plan || "$action" == deploy ]] && ! command -v npm >/dev/null 2>&1; then
    problem "npm is not installed: it comes with Node.js >= 24.11 (https://nodejs.org)"
  fi
  if [[ "$action" == deploy ]]; then
    if ! command -v curl >/dev/null 2>&1; then
      problem "curl is not installed: the smoke test calls https://<api host>/ready with it"
    fi
    check_docker
  fi
  if [[ -n "$settings_problem" ]]; then
    problem "$settings_problem"
    check_caller "$environment" "$action" "" ""
  else
    # What env.hcl, account.hcl and root.hcl say; AWS_REGION becomes the environment's region.
    check_scope env "$live_dir/$environment/env.hcl" "live/$environment/env.hcl" \
      "set your 12-digit AWS account id (aws sts get-caller-identity --query Account --output text), or delete the line to deploy to the account of your credentials"
    account_id="$scope_account" region="$scope_region"
    check_kubernetes_support "live/$environment/env.hcl"
    if [[ -n "$region" ]]; then
      if [[ -n "${AWS_REGION:-}" && "$AWS_REGION" != "$region" ]]; then
        warning "AWS_REGION=$AWS_REGION differs from live/$environment/env.hcl; using $region for this run"
      fi
      export AWS_REGION="$region" AWS_DEFAULT_REGION="$region"
    fi
    # Every environment reads live/shared/global's outputs, from the state bucket of the account
    # and region of account.hcl.
    check_scope account "$live_dir/shared/account.hcl" "live/shared/account.hcl" \
      "set the 12-digit id of the account holding the ECR repository and the GitHub roles, or delete the line to use the account of your credentials"
    shared_account="$scope_account" shared_region="$scope_region"
    if [[ "$action" == deploy ]]; then
      if applies_shared; then check_github_repository; fi
      check_public_address "$environment"
    fi

    check_caller "$environment" "$action" "$account_id" "$shared_account"
    # No account_id pinned: root.hcl takes the account of the credentials (get_aws_account_id()).
    if [[ -z "${settings[env.account_id]+set}" && -n "$caller_account" ]]; then
      account_id="$caller_account" account_source=" (your credentials'; env.hcl pins none)"
    fi
    [[ -n "${settings[account.account_id]+set}" ]] || shared_account="$caller_account"

    check_state_bucket "live/$environment" "$account_id" "$region"
    bucket_summary="$state_bucket"
    check_state_bucket "live/shared" "$shared_account" "$shared_region"
    if [[ -n "$state_bucket" && "$state_bucket" != "$bucket_summary" ]]; then
      bucket_summary="${bucket_summary:+$bucket_summary and }$state_bucket (live/shared)"
    fi
    project="${settings[root.project]-}"
    cluster="$project-$environment" # the cluster module's name: <project>-<environment>
    if [[ "$action" == deploy && -n "$caller_account" && -n "$region" && -n "$project" ]]; then
      # In another account than env.hcl's, the zone and quotas asked about would be the wrong ones.
      [[ "$caller_account" != "$account_id" ]] || check_hosted_zone "$environment"
      check_vcpu_quota "$environment" "$cluster"
      check_elastic_ip_quota "$environment" "$project"
      check_leftover_log_group "$cluster"
    fi
  fi

  for item in "${warnings[@]}"; do printf 'warning: %s\n' "$item" >&2; done
  if ((${#problems[@]})); then
    printf 'preflight for %s %s found %d problem(s):\n' "$action" "$environment" "${#problems[@]}" >&2
    for item in "${problems[@]}"; do printf '  - %s\n' "$item" >&2; done
    exit 1
  fi
  printf 'preflight ok: tools, AWS account %s%s, region %s, state bucket %s\n' \
    "$account_id" "$account_source" "$region" "$bucket_summary"
  if ((${#capacity_summary[@]})); then
    printf -v item '%s, ' "${capacity_summary[@]}"
    printf 'quotas ok: %s\n' "${item%, }"
  fi
  if [[ "$action" == deploy ]]; then
    printf 'cluster admin: %s (the cluster layer grants the role behind it), with admin_principal_arns of env.hcl\n' "$caller_arn"
  fi
}

# ------------------------------------------------------------------------------ Kubernetes support
readonly kubernetes_versions_file="$repo_root/stacks/cluster/kubernetes-versions.tsv"
readonly kubernetes_support_warning_days=60

# date: seconds since the epoch of a YYYY-MM-DD date (GNU date, else BSD date on macOS).
epoch_of() { date -u -d "$1" +%s 2>/dev/null || date -u -j -f %Y-%m-%d "$1" +%s; }

# label: one warning when the Kubernetes version pinned in env.hcl leaves EKS standard
# support within 60 days (or has left it: EKS then upgrades a STANDARD cluster itself), one
# problem when the dated table (stacks/cluster/kubernetes-versions.tsv) does not list it.
check_kubernetes_support() {
  local label="$1" pinned today version standard="" extended="" row listed=() days
  pinned="${settings[env.cluster.cluster_version]-}"
  [[ -n "$pinned" && -f "$kubernetes_versions_file" ]] || return 0
  while IFS=$'\t' read -r version row; do
    [[ -n "$version" && "$version" != \#* ]] || continue
    listed+=("$version")
    [[ "$version" == "$pinned" ]] && IFS=$'\t' read -r standard extended <<<"$row"
  done <"$kubernetes_versions_file"
  if [[ -z "$standard" ]]; then
    problem "$label pins Kubernetes $pinned, which EKS does not offer (stacks/cluster/kubernetes-versions.tsv lists ${listed[*]}): set cluster.cluster_version to one of them"
    return 0
  fi
  # date counts the days; without it (a bare PATH) the missing tools are what gets reported.
  command -v date >/dev/null 2>&1 || return 0
  today="${PAYFLOW_TODAY:-$(date -u +%Y-%m-%d)}"
  [[ "$today" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}$ ]] || die "PAYFLOW_TODAY=$today is not a date such as 2026-12-03"
  days=$((($(epoch_of "$standard") - $(epoch_of "$today")) / 86400))
  if ((days < 0)); then
    warning "Kubernetes $pinned ($label) left EKS standard support on $standard: EKS upgrades the control plane by itself (extended support ends $extended); raise cluster.cluster_version by one minor version"
  elif ((days <= kubernetes_support_warning_days)); then
    warning "Kubernetes $pinned ($label) leaves EKS standard support on $standard, in $days days: raise cluster.cluster_version by one minor version (stacks/cluster/kubernetes-versions.tsv)"
  fi
}

# ------------------------------------------------------------------------------ cluster tunnel
# The Kubernetes API is private (docs/adr/012-cluster-access-through-ssm.md): a Systems Manager
# session to the cluster layer's tunnel instance forwards a local port to it, for the platform and
# app units (PAYFLOW_CLUSTER_TUNNEL_URL) and kubectl; the session ends with the script.
readonly session_manager_plugin_install="https://docs.aws.amazon.com/systems-manager/latest/userguide/session-manager-working-with-install-plugin.html"
readonly port_forwarding_document="AWS-StartPortForwardingSessionToRemoteHost"
cluster_tunnel_pid=""
cluster_tunnel_dir=""
cluster_tunnel_kubeconfig=""

# environment: the id of the cluster layer's tunnel instance; empty before that layer is applied.
tunnel_instance() {
  unit_output "$live_dir/$1/cluster" cluster_access_instance_id 2>/dev/null || true
}

# action: the tools the tunnel needs, for the actions that open it.
check_cluster_access_tools() {
  one_of "$1" plan deploy destroy tunnel || return 0
  if ! command -v session-manager-plugin >/dev/null 2>&1; then
    problem "session-manager-plugin is not installed: make $1 reaches the private Kubernetes API through an SSM tunnel; install it: $session_manager_plugin_install"
  fi
  if [[ "$1" != deploy ]] && ! command -v curl >/dev/null 2>&1; then
    problem "curl is not installed: it checks that the tunnel to the Kubernetes API answers"
  fi
  if [[ "$1" == destroy || "$1" == tunnel ]] && ! command -v node >/dev/null 2>&1; then
    problem "node is not installed: it picks a free local port for the tunnel (https://nodejs.org)"
  fi
}

# environment [kubeconfig]: opens the tunnel once per run, waits until the API answers through
# it, exports PAYFLOW_CLUSTER_TUNNEL_URL and writes a kubeconfig (default: a temporary file)
# whose context payflow-<environment> goes through it. Messages go to stderr: `tunnel` keeps
# stdout for its command.
open_cluster_tunnel() {
  local environment="$1" kubeconfig="${2:-}" cluster_dir="$live_dir/$1/cluster" instance endpoint host port
  [[ -z "$cluster_tunnel_pid" ]] || return 0
  instance="$(tunnel_instance "$environment")"
  if [[ -z "$instance" ]]; then
    die "live/$environment/cluster has no output cluster_access_instance_id: apply the cluster layer first (make deploy ENV=$environment creates it)"
  fi
  endpoint="$(unit_output "$cluster_dir" cluster_endpoint)"
  host="${endpoint#https://}"
  cluster_tunnel_dir="$(mktemp -d)"
  trap close_cluster_tunnel EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  unit_output "$cluster_dir" cluster_certificate_authority_data | base64 --decode >"$cluster_tunnel_dir/ca.crt"
  say "opening an SSM tunnel to the Kubernetes API of $environment through $instance" >&2
  aws ec2 wait instance-status-ok --instance-ids "$instance" ||
    die "the tunnel instance $instance of $environment is not running: apply live/$environment/cluster again"
  # A free port of 127.0.0.1, picked by the operating system.
  port="$(node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { process.stdout.write(String(s.address().port)); s.close(); });')"
  # Its own process group (set -m), so that closing it also stops the plugin the CLI started.
  set -m
  aws ssm start-session --target "$instance" --document-name "$port_forwarding_document" \
    --parameters "host=$host,portNumber=443,localPortNumber=$port" \
    </dev/null >"$cluster_tunnel_dir/session.log" 2>&1 &
  cluster_tunnel_pid=$!
  set +m
  # Any HTTP answer proves the path (anonymous requests get 401 or 403); TLS is checked against
  # the endpoint's name, as the Terraform providers check it (tls_server_name).
  if ! curl --silent --output /dev/null --cacert "$cluster_tunnel_dir/ca.crt" \
    --connect-to "$host:443:127.0.0.1:$port" --connect-timeout 5 --max-time 10 \
    --retry 45 --retry-delay 2 --retry-max-time 90 --retry-all-errors "https://$host/livez"; then
    die "the SSM tunnel to $host did not answer within 90 s. Session Manager said: $(tr '\n' ' ' <"$cluster_tunnel_dir/session.log")"
  fi
  export PAYFLOW_CLUSTER_TUNNEL_URL="https://127.0.0.1:$port"
  cluster_tunnel_kubeconfig="${kubeconfig:-$cluster_tunnel_dir/kubeconfig}"
  mkdir -p "${cluster_tunnel_kubeconfig%/*}"
  aws eks update-kubeconfig --kubeconfig "$cluster_tunnel_kubeconfig" --region "$AWS_REGION" \
    --name "$(unit_output "$cluster_dir" cluster_name)" --alias "payflow-$environment" >/dev/null
  kubectl --kubeconfig "$cluster_tunnel_kubeconfig" config set-cluster \
    "$(unit_output "$cluster_dir" cluster_arn)" \
    --server="$PAYFLOW_CLUSTER_TUNNEL_URL" --tls-server-name="$host" >/dev/null
  printf 'tunnel open: %s -> %s\n' "$PAYFLOW_CLUSTER_TUNNEL_URL" "$endpoint" >&2
}

# Ends the session (the trap of open_cluster_tunnel calls it when the script exits).
close_cluster_tunnel() {
  if [[ -n "$cluster_tunnel_pid" ]]; then
    kill -TERM -- "-$cluster_tunnel_pid" 2>/dev/null || true
    wait "$cluster_tunnel_pid" 2>/dev/null || true
    cluster_tunnel_pid=""
    printf 'tunnel closed\n' >&2
  fi
  [[ -z "$cluster_tunnel_dir" ]] || rm -rf "$cluster_tunnel_dir"
  cluster_tunnel_dir=""
}

# ------------------------------------------------------------------------------ helpers
# Terraform keeps each provider once in this cache, for the units whose committed
# .terraform.lock.hcl lists it. The cache is not safe for concurrent inits: here none overlap, as
# each environment's units form one chain (live/test/live-contract.test.ts).
use_plugin_cache() {
  export TF_PLUGIN_CACHE_DIR="${TF_PLUGIN_CACHE_DIR:-${HOME:?HOME is not set: export TF_PLUGIN_CACHE_DIR=<a directory>}/.terraform.d/plugin-cache}"
  mkdir -p "$TF_PLUGIN_CACHE_DIR"
}

synth() {
  say "synthesizing modules/ from stacks/ (npm run synth)"
  cd "$repo_root"
  # As the Makefile does: install when package-lock.json is newer than the last install.
  [[ node_modules/.package-lock.json -nt package-lock.json ]] || npm ci --no-audit --no-fund
  npm run --silent synth
}

# dir args...: terragrunt on every unit under dir, in dependency order (reverse for destroy).
run_all() { (cd "$1" && shift && terragrunt run --all --non-interactive --backend-bootstrap "$@"); }

# unit output-name: one raw output of an applied unit.
unit_output() { (cd "$1" && terragrunt output -raw "$2"); }

# Builds app/ and pushes it to the ECR repository of live/shared unless the tag is there already
# (the repository's tags are immutable). Prints the tag: the full commit SHA, as CI tags its
# images and as live/_units/app.hcl defaults to, so an image CI pushed is reused here.
push_image() {
  local repository_url="$1" tag
  tag="$(git -C "$repo_root" rev-parse HEAD)"
  if ! aws ecr describe-images --repository-name "${repository_url#*/}" --image-ids "imageTag=$tag" >/dev/null 2>&1; then
    aws ecr get-login-password | docker login --username AWS --password-stdin "${repository_url%%/*}" >&2
    docker build --platform linux/amd64 -t "$repository_url:$tag" "$repo_root/app" >&2
    docker push "$repository_url:$tag" >&2
  fi
  printf '%s\n' "$tag"
}

# The API answers /ready once the load balancer and the pods are up: a few minutes on a first
# deploy. The request goes to the Ingress's load balancer directly (with TLS, curl --connect-to
# keeps the API's name), so that a name still cached as missing on this machine cannot fail it.
smoke_test() {
  local environment="$1" api_url host load_balancer
  local -a to_load_balancer=()
  api_url="$(unit_output "$live_dir/$environment/dns" api_url)"
  host="${api_url#*://}"
  host="${host%%/*}"
  say "smoke test: GET $api_url/ready"
  KUBECONFIG="$cluster_tunnel_kubeconfig" kubectl -n "$app_namespace" wait ingress --all --timeout=10m \
    --for=jsonpath='{.status.loadBalancer.ingress[0].hostname}' >/dev/null ||
    die "the API's Ingress got no load balancer within 10 minutes: see live/README.md, 'When the smoke test fails'"
  load_balancer="$(KUBECONFIG="$cluster_tunnel_kubeconfig" kubectl -n "$app_namespace" get ingress \
    -o jsonpath='{.items[0].status.loadBalancer.ingress[0].hostname}')"
  [[ "$api_url" != https://* ]] || to_load_balancer=(--connect-to "$host:443:$load_balancer:443")
  curl --fail --no-progress-meter --max-time 10 --retry 40 --retry-delay 15 --retry-all-errors \
    "${to_load_balancer[@]}" "$api_url/ready" ||
    die "$api_url/ready did not answer 200 within 10 minutes: see live/README.md, 'When the smoke test fails'"
  printf '\n'
  report_public_address "$environment" "$api_url" "$load_balancer"
}

# environment api_url load_balancer: the lines make deploy ends on. With a DNS zone, the API's
# name itself is tried until Route 53 answers for it; without, the API is plain HTTP on the load
# balancer's own name, and says so. Grafana is private unless env.hcl made it public.
report_public_address() {
  local environment="$1" api_url="$2" load_balancer="$3" grafana_host api grafana
  grafana_host="$(unit_output "$live_dir/$environment/platform" grafana_public_hostname)"
  if [[ "$api_url" == https://* ]]; then
    # A resolver that was asked before the record existed may answer "no such name" a while.
    curl --fail --silent --output /dev/null --max-time 10 --retry 20 --retry-delay 15 \
      --retry-all-errors "$api_url/ready" ||
      printf 'warning: %s answers through the load balancer, but not yet by its name from here (DNS caches): try again in a few minutes\n' "$api_url" >&2
    api="$api_url   (TLS: ACM certificate; name: Route 53 alias record)"
  else
    api="$api_url   (plain HTTP, no TLS: live/$environment/env.hcl has no dns.zone; development only)"
  fi
  if [[ -n "$grafana_host" ]]; then
    grafana="https://$grafana_host   (Cognito sign-in, allowed addresses only)"
  else
    grafana="make grafana ENV=$environment   (not on the internet: localhost:3000 through the SSM tunnel)"
  fi
  say "$environment is up"
  printf '  API:           %s\n  Grafana:       %s\n  Load balancer: %s\n' \
    "$api" "$grafana" "$load_balancer"
}

# cluster_name: the load balancers the AWS Load Balancer Controller made for this cluster's
# Ingresses, by ARN (empty when none).
load_balancers_of() {
  local found
  found="$(aws resourcegroupstaggingapi get-resources \
    --resource-type-filters elasticloadbalancing:loadbalancer \
    --tag-filters "Key=elbv2.k8s.aws/cluster,Values=$1" \
    --query 'ResourceTagMappingList[].ResourceARN' --output text)"
  [[ "$found" == None ]] || printf '%s\n' "$found"
}

# The load balancer's deletion protection (env.hcl load_balancer.deletion_protection) keeps the
# controller from deleting it when the Ingresses go, and the controller sets that attribute from
# the Ingresses' annotation: so it is turned off there, on every Ingress, and awaited on the load
# balancers, before anything is destroyed.
lift_load_balancer_deletion_protection() {
  local cluster_name="$1" arns arn
  arns="$(load_balancers_of "$cluster_name")"
  [[ -n "$arns" ]] || return 0
  KUBECONFIG="$cluster_tunnel_kubeconfig" kubectl annotate ingress --all --all-namespaces \
    --overwrite alb.ingress.kubernetes.io/load-balancer-attributes=deletion_protection.enabled=false ||
    die "could not lift the deletion protection of the load balancers of $cluster_name; nothing was destroyed: fix the cause, then run make destroy again"
  for arn in $arns; do
    retry_every_15s 20 "the controller has not lifted the deletion protection of $arn yet" \
      deletion_protection_lifted "$arn" ||
      die "the controller did not lift the deletion protection of $arn within 5 minutes; nothing was destroyed: see its logs (kubectl -n kube-system logs deployment/aws-load-balancer-controller), then run make destroy again"
  done
}

# arn: whether the load balancer's deletion protection is off.
deletion_protection_lifted() {
  [[ "$(aws elbv2 describe-load-balancer-attributes --load-balancer-arn "$1" \
    --query "Attributes[?Key=='deletion_protection.enabled'].Value" --output text)" == false ]]
}

# What in live/<environment>/env.hcl keeps the data layer from being destroyed, one per line.
# A missing key counts as protected: the data module's defaults are production's.
data_protections() {
  [[ "${settings[env.database.db_deletion_protection]-}" == false ]] ||
    printf '%s\n' "database.db_deletion_protection = true (RDS refuses to be deleted)"
  [[ "${settings[env.retention.buckets_force_destroy]-}" == true ]] ||
    printf '%s\n' "retention.buckets_force_destroy = false (the versioned Loki/Tempo and access-log buckets are not emptied, S3 refuses to delete them)"
}

# What AWS itself leaves of an environment after Terraform destroyed its layers. Each step runs
# once the layer that made the thing is gone, and again harmlessly on a second make destroy.

# cluster: the security groups the AWS Load Balancer Controller created for the cluster's load
# balancers (tag elbv2.k8s.aws/cluster). They are left when the controller goes before them, and
# a security group left in the VPC stops the network layer's destroy. Run after the cluster
# layer: its security groups refer to them until then.
delete_load_balancer_security_groups() {
  local cluster="$1" groups group
  groups="$(aws ec2 describe-security-groups \
    --filters "Name=tag:elbv2.k8s.aws/cluster,Values=$cluster" \
    --query 'SecurityGroups[].GroupId' --output text)"
  for group in $groups; do
    [[ "$group" == sg-* ]] || continue
    # An ENI of a load balancer being deleted can hold the group for a few minutes.
    retry_every_15s 20 "$group is still in use" aws ec2 delete-security-group --group-id "$group" ||
      die "could not delete the security group $group of the load balancer controller of $cluster; delete it in the EC2 console (VPC, Security groups), then run make destroy again"
    printf '  deleted the security group %s\n' "$group"
  done
}

# project environment: the EBS volumes the EBS CSI driver created for the PersistentVolumeClaims
# (Prometheus, Alertmanager, Loki, Tempo), tagged ebs.csi.aws.com/cluster and, by the cluster
# module's add-on configuration, Project and Environment. Helm never deletes a StatefulSet's
# claims, so the volumes outlive the platform layer; once the nodes are gone they are available.
delete_persistent_volumes() {
  local project="$1" environment="$2" volumes volume
  volumes="$(aws ec2 describe-volumes --filters Name=tag:ebs.csi.aws.com/cluster,Values=true \
    "Name=tag:Project,Values=$project" "Name=tag:Environment,Values=$environment" \
    Name=status,Values=available --query 'Volumes[].VolumeId' --output text)"
  for volume in $volumes; do
    [[ "$volume" == vol-* ]] || continue
    aws ec2 delete-volume --volume-id "$volume" >/dev/null
    printf '  deleted the volume %s\n' "$volume"
  done
}

# cluster: the control-plane log group, which EKS re-creates with its last log lines after the
# cluster layer deleted it. Left there, the next deploy's cluster layer could not create it.
delete_control_plane_log_group() {
  local log_group="/aws/eks/$1/cluster" found
  found="$(aws logs describe-log-groups --log-group-name-prefix "$log_group" \
    --query 'logGroups[].logGroupName' --output text)"
  if [[ " $found " == *" $log_group "* ]]; then
    aws logs delete-log-group --log-group-name "$log_group"
    printf '  deleted the log group %s\n' "$log_group"
  fi
}

# ------------------------------------------------------------------------------ actions
plan() {
  local environment="$1"
  preflight "$environment" plan
  use_plugin_cache
  synth
  if [[ -n "$(tunnel_instance "$environment")" ]]; then
    open_cluster_tunnel "$environment"
  else
    say "live/$environment/cluster is not applied yet: no tunnel, platform and app plan against mock outputs"
  fi
  say "terragrunt run --all plan in live/$environment (layers not applied yet plan against mock outputs)"
  run_all "$live_dir/$environment" plan
}

deploy() {
  local environment="$1" repository_url layer
  preflight "$environment" deploy
  use_plugin_cache
  # A deploy always puts the data layer's protection back (live/_units/data.hcl reads DECOMMISSION).
  one_of "${DECOMMISSION:-}" "${switch_off_words[@]}" ||
    printf 'warning: DECOMMISSION=%s ignored: make deploy keeps the data layer protected; make destroy lifts the protection itself\n' "$DECOMMISSION" >&2
  unset DECOMMISSION
  synth
  local no_repository_url
  if applies_shared; then
    say "account-wide resources (live/shared/global): ECR repository and, with a github_repository, the GitHub OIDC provider and roles"
    run_all "$live_dir/shared/global" apply
    no_repository_url="live/shared/global was applied but its output ecr_repository_url could not be read (terragrunt's error is above); no layer of live/$environment was applied"
  else
    say "account-wide resources (live/shared/global): SKIP_SHARED=1, reading its outputs only"
    no_repository_url="live/shared/global has no output ecr_repository_url: with SKIP_SHARED=1 it is only read, so apply it once with administrator credentials (make deploy ENV=$environment without SKIP_SHARED); nothing was deployed"
  fi
  repository_url="$(unit_output "$live_dir/shared/global" ecr_repository_url)" || true
  [[ -n "$repository_url" ]] || die "$no_repository_url"
  if [[ -z "${IMAGE_TAG:-}" ]]; then
    say "building the API image and pushing it to $repository_url"
    IMAGE_TAG="$(push_image "$repository_url")"
  fi
  export IMAGE_TAG
  # The registry's lifecycle policy never expires deployed-* images
  # (stacks/shared/container-repository.ts): what an environment runs, or may roll back to, stays.
  say "keeping the deployed image: tag $IMAGE_TAG as deployed-$environment-$IMAGE_TAG"
  "$live_dir/tag-image.sh" "${repository_url#*/}" "$IMAGE_TAG" "deployed-$environment-$IMAGE_TAG" ||
    die "could not tag image $IMAGE_TAG of $repository_url: is that tag in the repository? No layer of live/$environment was applied"
  # One layer at a time, in dependency order: the tunnel to the Kubernetes API opens once the
  # cluster layer (and its tunnel instance) exists, before the first layer that needs it.
  for layer in "${layers[@]}"; do
    if one_of "$layer" "${kubernetes_layers[@]}"; then open_cluster_tunnel "$environment"; fi
    say "terragrunt apply of live/$environment/$layer (image $IMAGE_TAG)"
    run_all "$live_dir/$environment/$layer" apply
  done
  smoke_test "$environment"
}

destroy() {
  local environment="$1" answer cluster_name protections project index arn
  if [[ "$environment" == production && "${CONFIRM_PRODUCTION_DESTROY:-}" != yes ]]; then
    die "refusing to destroy production: run again with CONFIRM_PRODUCTION_DESTROY=yes DECOMMISSION=true (live/README.md, 'Destroying an environment')"
  fi
  [[ -z "$settings_problem" ]] || die "$settings_problem; nothing was destroyed"
  protections="$(data_protections)"
  # live/_units/data.hcl passes decommission = true to the data module when DECOMMISSION is "true".
  if switch_on DECOMMISSION; then export DECOMMISSION=true; else unset DECOMMISSION; fi
  if [[ -z "${DECOMMISSION:-}" && -n "$protections" ]]; then
    die "refusing to destroy $environment: live/$environment/env.hcl keeps its data:
  ${protections//$'\n'/$'\n'  }
run again with DECOMMISSION=true: the data and edge layers are first applied with decommission = true (RDS deletion protection off, the Loki/Tempo and access-log buckets emptied by the destroy; the final RDS snapshot is still taken), then everything is destroyed (live/README.md, 'Destroying an environment')"
  fi
  printf 'This destroys every layer of %s (%s) and its data.\n' "$environment" "${layers[*]}"
  if [[ -n "${DECOMMISSION:-}" ]]; then
    printf 'DECOMMISSION=true: the database loses its deletion protection and the Loki/Tempo and access-log buckets are emptied.\n'
  fi
  printf 'Type the environment name (%s) to confirm: ' "$environment"
  read -r answer || true
  [[ "$answer" == "$environment" ]] || die "aborted: you typed '$answer', not '$environment'; nothing was destroyed"
  preflight "$environment" destroy
  use_plugin_cache

  # An apply, not a destroy, changes deletion_protection and force_destroy: terraform destroy
  # acts on the values in the state. Done first, so that nothing is destroyed when it fails.
  if [[ -n "${DECOMMISSION:-}" ]]; then
    say "decommissioning live/$environment/data (decommission = true): RDS deletion protection off, Loki/Tempo buckets force-destroyable"
    run_all "$live_dir/$environment/data" apply
    say "decommissioning live/$environment/edge (decommission = true): access-log bucket force-destroyable"
    run_all "$live_dir/$environment/edge" apply
  fi

  # Reverse dependency order, one layer at a time. What AWS leaves behind is deleted before the
  # network layer, whose VPC it holds.
  project="${settings[root.project]}"
  cluster_name="$(unit_output "$live_dir/$environment/cluster" cluster_name 2>/dev/null || true)"
  # The dns, app and platform layers are destroyed through the tunnel, closed before the cluster
  # layer; the load balancers' deletion protection is lifted first, or they could not go.
  if [[ -n "$cluster_name" ]]; then
    open_cluster_tunnel "$environment"
    lift_load_balancer_deletion_protection "$cluster_name"
  fi
  say "destroying live/$environment/dns (the names of the load balancer)"
  run_all "$live_dir/$environment/dns" destroy
  say "destroying live/$environment/app (the API and its Ingress)"
  run_all "$live_dir/$environment/app" destroy
  # The load balancer holds the public subnets. Grafana's Ingress shares it with the API's (Ingress
  # group "payflow"), and the controller deletes it with the group's last Ingress, only while it
  # runs: so before the platform layer. ELB's waiter (15 s x 40) takes one ARN at a time (the
  # first gone would end it); the tagging API may still list one a while after its deletion.
  if [[ -n "$cluster_name" ]]; then
    say "deleting the Ingresses left in $cluster_name (Grafana's shares the API's load balancer) while the load balancer controller still runs"
    KUBECONFIG="$cluster_tunnel_kubeconfig" kubectl delete ingress --all --all-namespaces --wait=true --timeout=10m ||
      die "could not delete the Ingresses of $cluster_name; nothing after the app layer was destroyed: fix the cause, then run make destroy again"
    for arn in $(load_balancers_of "$cluster_name"); do
      printf '  waiting for the controller to delete %s\n' "$arn"
      aws elbv2 wait load-balancers-deleted --load-balancer-arns "$arn" ||
        die "the load balancer $arn of $cluster_name still exists after 10 minutes; delete it in the EC2 console, then run make destroy again"
    done
  fi
  cluster_name="${cluster_name:-$project-$environment}"
  for ((index = ${#layers[@]} - 1; index >= 0; index--)); do
    # dns and app are gone already (above).
    one_of "${layers[index]}" dns app && continue
    # No Kubernetes left to talk to: the session goes before its instance (cluster layer) does.
    one_of "${layers[index]}" "${kubernetes_layers[@]}" || close_cluster_tunnel
    if [[ "${layers[index]}" == network ]]; then
      say "deleting what AWS left of $cluster_name: load balancer security groups, monitoring volumes, control-plane log group"
      delete_load_balancer_security_groups "$cluster_name"
      delete_persistent_volumes "$project" "$environment"
      delete_control_plane_log_group "$cluster_name"
    fi
    say "destroying live/$environment/${layers[index]}"
    run_all "$live_dir/$environment/${layers[index]}" destroy
  done
  say "$environment destroyed. Kept: the account-wide live/shared/global (ECR, GitHub roles), the state bucket, and the final RDS snapshot when the database took one (payflow-$environment-postgres-final-<date>)."
}

outputs() {
  local environment="$1" layer
  use_plugin_cache
  for layer in "${layers[@]}"; do
    say "$layer"
    (cd "$live_dir/$environment/$layer" && terragrunt output)
  done
}

# The kubeconfig make tunnel writes: one per environment, rewritten with each new tunnel.
tunnel_kubeconfig() { printf '%s\n' "${HOME:?HOME is not set}/.kube/payflow-$1"; }

kubeconfig() {
  local environment="$1"
  printf '%s\n' \
    "The Kubernetes API of $environment is private: kubectl reaches it through an SSM tunnel." \
    "  1. make tunnel ENV=$environment    opens it and keeps it open (Ctrl-C closes it)" \
    "  2. in another terminal:" \
    "     export KUBECONFIG=$(tunnel_kubeconfig "$environment")" \
    "     kubectl get nodes" \
    "One command through it instead: live/environment.sh tunnel $environment kubectl get nodes"
}

# environment [command...]: the tunnel around one command (KUBECONFIG and
# PAYFLOW_CLUSTER_TUNNEL_URL set for it), or held open for kubectl in other terminals.
tunnel() {
  local environment="$1"
  shift
  preflight "$environment" tunnel >&2
  use_plugin_cache
  if (($#)); then
    open_cluster_tunnel "$environment"
    KUBECONFIG="$cluster_tunnel_kubeconfig" "$@"
    return
  fi
  open_cluster_tunnel "$environment" "$(tunnel_kubeconfig "$environment")"
  printf '%s\n' \
    "kubectl through the tunnel, in another terminal:" \
    "  export KUBECONFIG=$cluster_tunnel_kubeconfig" \
    "  kubectl get nodes" \
    "Ctrl-C closes the tunnel."
  wait "$cluster_tunnel_pid" || true
  die "the SSM session ended (idle for 20 minutes, or the instance was replaced): run make tunnel ENV=$environment again"
}

# environment: Grafana, which is not on the internet, on http://localhost:$GRAFANA_PORT (default
# 3000, the address Grafana builds its links with): kubectl port-forward to its Service through
# the SSM tunnel, until Ctrl-C. The kubeconfig is make tunnel's, for kubectl in another terminal.
grafana() {
  local environment="$1" port="${GRAFANA_PORT:-3000}"
  [[ "$port" =~ ^[0-9]{1,5}$ ]] || die "GRAFANA_PORT=$port is not a port number (e.g. GRAFANA_PORT=3001)"
  preflight "$environment" tunnel >&2
  use_plugin_cache
  open_cluster_tunnel "$environment" "$(tunnel_kubeconfig "$environment")"
  printf '%s\n' \
    "Grafana of $environment: http://localhost:$port (user admin). Its password, in another terminal:" \
    "  kubectl --kubeconfig $cluster_tunnel_kubeconfig -n $grafana_namespace get secret $grafana_service -o jsonpath='{.data.admin-password}' | base64 --decode" \
    "Ctrl-C closes Grafana and the tunnel."
  KUBECONFIG="$cluster_tunnel_kubeconfig" kubectl -n "$grafana_namespace" port-forward \
    "service/$grafana_service" "$port:80"
}

main() {
  (($# >= 2)) || usage
  local action="$1" environment="$2"
  one_of "$environment" "${environments[@]}" ||
    die "unknown environment '$environment': use one of ${environments[*]} (e.g. make deploy ENV=development)"
  case "$action" in
    tunnel) ;;
    preflight | plan | deploy | destroy | outputs | kubeconfig | grafana) (($# == 2)) || usage ;;
    *) usage ;;
  esac
  shift 2
  # When it fails, settings_problem says why: the preflight lists it, destroy stops on it.
  load_settings "$environment" || true
  case "$action" in
    preflight) preflight "$environment" deploy ;;
    tunnel) tunnel "$environment" "$@" ;;
    *) "$action" "$environment" ;;
  esac
}

main "$@"
