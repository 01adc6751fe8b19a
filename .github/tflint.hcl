# tflint configuration for modules/ (CI: `tflint --recursive --config .github/tflint.hcl`).
# Kept under .github/ because the repository's top level is fixed.
config {
  call_module_type = "none"
}

plugin "terraform" {
  enabled = true
  preset  = "recommended"
}

plugin "aws" {
  enabled = true
  source  = "github.com/terraform-linters/tflint-ruleset-aws"
  version = "0.40.0"
}
