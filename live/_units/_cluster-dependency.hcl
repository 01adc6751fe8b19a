# The connection of the Kubernetes layers (platform, app) to their environment's EKS cluster:
# the cluster unit's outputs feed the kubernetes and helm providers of those modules
# (stacks/lib/cluster-connection.ts), through the SSM tunnel live/environment.sh opens
# (docs/adr/012-cluster-access-through-ssm.md). live/<env>/platform/terragrunt.hcl and
# live/<env>/app/terragrunt.hcl include this file beside their layer file: Terragrunt merges
# the dependency blocks and the inputs of every include of a unit, but an included file cannot
# include another one.
dependency "cluster" {
  config_path = "${get_terragrunt_dir()}/../cluster"
  mock_outputs = {
    cluster_name                       = "payflow-mock"
    cluster_endpoint                   = "https://0000000000000000000000000000000.gr7.eu-west-3.eks.amazonaws.com"
    cluster_certificate_authority_data = "bW9jaw=="
    cluster_version                    = "1.36"
  }
  mock_outputs_allowed_terraform_commands = ["init", "validate", "plan"]
}

inputs = {
  cluster_name                       = dependency.cluster.outputs.cluster_name
  cluster_endpoint                   = dependency.cluster.outputs.cluster_endpoint
  cluster_certificate_authority_data = dependency.cluster.outputs.cluster_certificate_authority_data
  # The endpoint is private: live/environment.sh opens an SSM tunnel to it and sets this to the
  # tunnel's local end (https://127.0.0.1:<port>). Unset, inside the VPC: the endpoint itself.
  cluster_tunnel_url = get_env("PAYFLOW_CLUSTER_TUNNEL_URL", "")
}
