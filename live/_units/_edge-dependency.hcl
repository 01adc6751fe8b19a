# The load balancer's settings of the Kubernetes layers (platform, app): the same on the API's and
# Grafana's Ingresses, which share one load balancer. A separate include, like
# _cluster-dependency.hcl, because an included file cannot include another one.
dependency "edge" {
  config_path = "${get_terragrunt_dir()}/../edge"
  mock_outputs = {
    api_hostname             = ""
    grafana_hostname         = ""
    certificate_arn          = ""
    tls_policy               = "ELBSecurityPolicy-TLS13-1-2-2021-06"
    load_balancer_attributes = "deletion_protection.enabled=false,access_logs.s3.enabled=false"
    web_acl_arn              = ""
  }
  mock_outputs_allowed_terraform_commands = ["init", "validate", "plan"]
}

inputs = {
  api_hostname             = dependency.edge.outputs.api_hostname
  certificate_arn          = dependency.edge.outputs.certificate_arn
  tls_policy               = dependency.edge.outputs.tls_policy
  load_balancer_attributes = dependency.edge.outputs.load_balancer_attributes
  web_acl_arn              = dependency.edge.outputs.web_acl_arn
}
