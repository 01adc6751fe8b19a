import { ref, Token, TerraformDataSource, type TerraformResource } from 'cdktf';

// Resources created with `count` are lists in Terraform; CDKTF's typed attributes only
// address a single instance. These two build the list and the indexed references.

type Counted = TerraformResource | TerraformDataSource;

/** `type.name`, or `data.type.name` for a data source. */
const address = (element: Counted): string =>
  `${element instanceof TerraformDataSource ? 'data.' : ''}${element.terraformResourceType}.${element.friendlyUniqueId}`;

/** `resource[*].attribute`: the attribute of every instance of a counted resource. */
export function everyInstance(resource: Counted, attribute: string): string[] {
  return Token.asList(ref(`${address(resource)}[*].${attribute}`));
}

/** `resource[index].attribute`; `index` is an HCL expression such as `count.index`. */
export function instance(resource: Counted, index: string, attribute: string): string {
  return Token.asString(ref(`${address(resource)}[${index}].${attribute}`));
}
