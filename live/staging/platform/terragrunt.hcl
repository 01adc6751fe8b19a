# The platform layer of staging. Everything is shared with the other environments in
# live/_units/platform.hcl; what differs is data in ../env.hcl.
include "root" {
  path = find_in_parent_folders("root.hcl")
}

include "layer" {
  path = "${dirname(find_in_parent_folders("root.hcl"))}/live/_units/platform.hcl"
}

include "cluster" {
  path = "${dirname(find_in_parent_folders("root.hcl"))}/live/_units/_cluster-dependency.hcl"
}

include "edge" {
  path = "${dirname(find_in_parent_folders("root.hcl"))}/live/_units/_edge-dependency.hcl"
}
