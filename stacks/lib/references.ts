import { ref, Token, type TerraformResource } from 'cdktf';

// Resources created with `count` are lists in Terraform; CDKTF's typed attributes only
// address a single instance. These two build the list and the indexed references.

/** `resource[*].attribute`: the attribute of every instance of a counted resource. */
export function everyInstance(resource: TerraformResource, attribute: string): string[] {
  return Token.asList(
    ref(`${resource.terraformResourceType}.${resource.friendlyUniqueId}[*].${attribute}`),
  );
}

/** `resource[index].attribute`; `index` is an HCL expression such as `count.index`. */
export function instance(resource: TerraformResource, index: string, attribute: string): string {
  return Token.asString(
    ref(`${resource.terraformResourceType}.${resource.friendlyUniqueId}[${index}].${attribute}`),
  );
}
