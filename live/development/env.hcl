# Development: fast and cheap (docs/architecture.md, "Environments"). Data only:
# live/_units/<layer>.hcl turns it into module inputs. The keys of network, database, redis,
# alarms, load_balancer, monitoring and app are the inputs of the module they feed, passed as they are.
locals {
  environment = "development"

  # Optional: account_id = "<12 digits>" pins the AWS account this environment deploys to (make
  # deploy and the AWS provider then refuse any other). Without it, the account of your
  # credentials (`aws sts get-caller-identity --query Account --output text`).
  region = "eu-west-3"

  # The public address (live/README.md, "The public address: DNS and TLS"). zone: a public Route 53
  # hosted zone of this account (`aws route53 list-hosted-zones`); the API is then
  # https://api.<subdomain>.<zone> with a certificate make deploy requests and validates itself.
  # Empty (as here): no name and no TLS, make deploy ends on http://<the load balancer's own
  # name>: fine for development, refused by staging and production.
  dns = {
    zone      = ""
    subdomain = "dev"
  }

  # The load balancer the API's and Grafana's Ingresses share (stacks/edge). Staging and
  # production must keep a TLS 1.3 policy, deletion protection, access logs and AWS WAF.
  load_balancer = {
    tls_policy          = "ELBSecurityPolicy-TLS13-1-2-2021-06"
    deletion_protection = false
    access_log_days     = 0 # 0: no access logs
    waf                 = false
    waf_rate_limit      = 1000 # requests per 5 minutes from one client address, then blocked
  }

  # Grafana is not on the internet: `make grafana ENV=development` opens it on http://localhost:3000
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
    azs                        = ["eu-west-3a", "eu-west-3b"]
    vpc_cidr                   = "10.10.0.0/16"
    single_nat_gateway         = true  # one shared NAT gateway: cheap, not zone-redundant
    enable_interface_endpoints = false # ECR/STS/Secrets Manager through the NAT gateway instead
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
    node_instance_types  = ["t3.large", "t3a.large", "m5.large"]
    node_capacity_type   = "SPOT"
    node_min_size        = 2
    node_desired_size    = 2
    node_max_size        = 4
    node_disk_size_gb    = 30
  }

  database = {
    db_instance_class                    = "db.t4g.micro"
    db_allocated_storage_gb              = 20
    db_multi_az                          = false
    db_deletion_protection               = false
    db_skip_final_snapshot               = true
    db_backup_retention_days             = 1
    db_backup_replication_region         = "" # no copy in a second region: development is rebuilt, not recovered
    db_backup_replication_retention_days = 7
  }

  redis = {
    redis_node_type               = "cache.t4g.micro"
    redis_replica_count           = 0
    redis_automatic_failover      = false
    redis_multi_az                = false
    redis_snapshot_retention_days = 0
  }

  # Optional: the people told by e-mail when a data-layer CloudWatch alarm (RDS free storage or
  # CPU, Redis CPU or memory) fires and recovers, e.g. ["oncall@your-company.example"]. Each
  # address first gets "AWS Notification - Subscription Confirmation" (no-reply@sns.amazonaws.com)
  # and receives nothing until its "Confirm subscription" link is clicked: live/README.md,
  # "Alarm e-mails". Empty: the alarms notify the environment's topic, which nobody reads.
  alarms = {
    alarm_email_addresses = []
  }

  retention = {
    log_days              = 7 # CloudWatch: VPC flow logs, EKS control plane, RDS
    loki_days             = 7
    tempo_days            = 3
    prometheus_days       = 3
    buckets_force_destroy = true # make destroy empties the Loki/Tempo buckets
    # Redis AUTH and alerting secrets (fixed names): days a deleted one can be restored.
    secret_recovery_window_days = 0 # deleted at once by make destroy, so a redeploy can recreate them
  }

  monitoring = {
    prometheus_replicas    = 1
    prometheus_storage_gib = 20
    alertmanager_replicas  = 1
    loki_replicas          = 1
  }

  app = {
    # At least 2 pods everywhere: the PodDisruptionBudget keeps 1 available, so a single pod
    # would block node drains (the app module refuses min_replicas < 2).
    min_replicas       = 2
    max_replicas       = 4
    log_level          = "debug"
    trace_sample_ratio = 1    # every request traced (app/chart/README.md, "Trace sampling")
    seed_demo_users    = true # the six users of the SRE brief, for `curl /users`
    zone_spread_policy = "ScheduleAnyway"
    cpu_request        = "100m" # the HPA's 70 % target is 70 % of this
    memory_request     = "128Mi"
    cpu_limit          = "1"
    memory_limit       = "512Mi"
  }
}
