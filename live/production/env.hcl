# Production: highly available, most secure (docs/architecture.md, "Environments"). The modules'
# variable validations and the contract test (live/test/live-contract.test.ts) refuse values
# that break the production rules.
locals {
  environment = "production"

  # REPLACE: the 12-digit id of the AWS account this environment deploys to
  # (`aws sts get-caller-identity --query Account --output text`). make deploy and the AWS
  # provider (allowed_account_ids) refuse to run in any other account. Deleting the line deploys
  # to the account of the credentials, as development does.
  account_id = "123456789012"
  region     = "eu-west-3"

  # REPLACE: a public Route 53 hosted zone of this account (`aws route53 list-hosted-zones`). make
  # deploy requests the certificate of api.<zone> and grafana.<zone>, validates it in the zone and
  # writes the names; production refuses to run without TLS (live/README.md, "The public address: DNS
  # and TLS").
  dns = {
    zone      = "example.com"
    subdomain = ""
  }

  # The load balancer the API's and Grafana's Ingresses share (stacks/edge). Staging and
  # production must keep a TLS 1.3 policy, deletion protection, access logs and AWS WAF.
  load_balancer = {
    tls_policy          = "ELBSecurityPolicy-TLS13-1-2-2021-06"
    deletion_protection = true
    access_log_days     = 365 # days in S3 (SSE-S3: ALB access logs take no other encryption)
    waf                 = true
    waf_rate_limit      = 2000 # requests per 5 minutes from one client address, then blocked
  }

  # Grafana is not on the internet: `make grafana ENV=production` opens it on http://localhost:3000
  # through the SSM tunnel. public = true puts it on the load balancer at grafana.<subdomain>.<zone>,
  # behind a Cognito sign-in and for allowed_cidrs only (live/README.md, "Grafana").
  grafana = {
    public        = false
    allowed_cidrs = [] # at most 3, e.g. ["203.0.113.0/24"]
    cognito = {
      user_pool_arn = "" # arn:aws:cognito-idp:<region>:<account>:userpool/<pool id>
      client_id     = "" # an app client with a secret, callback https://grafana.<...>/oauth2/idpresponse
      domain        = "" # the prefix of <prefix>.auth.<region>.amazoncognito.com
    }
  }

  network = {
    azs                        = ["eu-west-3a", "eu-west-3b", "eu-west-3c"]
    vpc_cidr                   = "10.30.0.0/16"
    single_nat_gateway         = false # one per AZ: an AZ outage takes down only that AZ's egress
    enable_interface_endpoints = true
  }

  cluster = {
    cluster_version = "1.36"
    # The Kubernetes API stays private: make deploy, CI and `make tunnel` reach it through an SSM
    # tunnel with AWS credentials alone (docs/adr/012-cluster-access-through-ssm.md). true adds a
    # public endpoint open only to public_access_cidrs (x.x.x.x/32; 0.0.0.0/0 is refused).
    endpoint_public_access = false
    public_access_cidrs    = []
    # IAM roles or users that administer the cluster besides those added for you: the role (or
    # user) that applies the cluster layer, and the GitHub deploy role of live/shared
    # (live/README.md, "Who administers the cluster"). Full ARNs, path included, e.g. for SSO
    # "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-3/AWSReservedSSO_Admin_0123456789abcdef".
    admin_principal_arns = []
    node_instance_types  = ["m6i.large", "m6a.large"]
    node_capacity_type   = "ON_DEMAND"
    node_min_size        = 3
    node_desired_size    = 3
    node_max_size        = 9
    node_disk_size_gb    = 50
  }

  database = {
    db_instance_class        = "db.m6g.large"
    db_allocated_storage_gb  = 50
    db_multi_az              = true
    db_deletion_protection   = true
    db_skip_final_snapshot   = false
    db_backup_retention_days = 30 # point-in-time recovery over the last 30 days
    # Every RDS automated backup (daily snapshot + transaction logs every 5 minutes) is copied to
    # Ireland, so that a point-in-time restore works there when Paris is lost
    # (docs/runbooks/disaster-recovery.md, "Losing the region").
    db_backup_replication_region         = "eu-west-1"
    db_backup_replication_retention_days = 7
  }

  redis = {
    redis_node_type               = "cache.m6g.large"
    redis_replica_count           = 2
    redis_automatic_failover      = true
    redis_multi_az                = true
    redis_snapshot_retention_days = 7
  }

  # REPLACE: the people told by e-mail when a data-layer CloudWatch alarm (RDS free storage or
  # CPU, Redis CPU or memory) fires and recovers, e.g. ["oncall@your-company.example"]. Each
  # address first gets "AWS Notification - Subscription Confirmation" (no-reply@sns.amazonaws.com)
  # and receives nothing until its "Confirm subscription" link is clicked: live/README.md,
  # "Alarm e-mails". Empty: the alarms notify the environment's topic, which nobody reads.
  alarms = {
    alarm_email_addresses = []
  }

  retention = {
    log_days              = 365 # CloudWatch: VPC flow logs, EKS control plane, RDS
    loki_days             = 31
    tempo_days            = 14
    prometheus_days       = 15
    buckets_force_destroy = false # keep telemetry when the environment is destroyed
    # Redis AUTH and alerting secrets (fixed names): days a deleted one can be restored.
    secret_recovery_window_days = 7 # redeploying sooner: stacks/data/README.md, "Destroy and redeploy"
  }

  monitoring = {
    prometheus_replicas    = 2
    prometheus_storage_gib = 100
    alertmanager_replicas  = 3
    loki_replicas          = 2
  }

  app = {
    # At least 2 pods everywhere: the PodDisruptionBudget keeps 1 available, so a single pod
    # would block node drains (the app module refuses min_replicas < 2).
    min_replicas       = 3
    max_replicas       = 10
    log_level          = "info"
    trace_sample_ratio = 0.1   # one new trace in ten (app/chart/README.md, "Trace sampling")
    seed_demo_users    = false # never: the app module refuses true
    zone_spread_policy = "DoNotSchedule"
    cpu_request        = "250m" # the HPA's 70 % target is 70 % of this
    memory_request     = "256Mi"
    cpu_limit          = "1"
    memory_limit       = "512Mi"
  }
}
