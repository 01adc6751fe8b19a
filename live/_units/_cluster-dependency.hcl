# The cluster connection of the Kubernetes layers (platform, app), through the SSM tunnel
# (docs/adr/012-cluster-access-through-ssm.md). A separate include because an included file
# cannot include another one; Terragrunt merges the dependencies and inputs of every include.
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
