# The edge layer of development. Everything is shared with the other environments in
# live/_units/edge.hcl; what differs is data in ../env.hcl.
include "root" {
  path = find_in_parent_folders("root.hcl")
}

include "layer" {
  path = "${dirname(find_in_parent_folders("root.hcl"))}/live/_units/edge.hcl"
}
