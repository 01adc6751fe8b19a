import type { DataAwsCallerIdentity } from '@cdktf/provider-aws/lib/data-aws-caller-identity';
import { DataAwsIamSessionContext } from '@cdktf/provider-aws/lib/data-aws-iam-session-context';
import { EksAccessEntry } from '@cdktf/provider-aws/lib/eks-access-entry';
import { EksAccessPolicyAssociation } from '@cdktf/provider-aws/lib/eks-access-policy-association';
import type { EksCluster } from '@cdktf/provider-aws/lib/eks-cluster';
import { Fn, Op, type TerraformVariable, TerraformIterator, Token } from 'cdktf';
import type { ModuleStack } from '../lib/module-stack';
import { PLAN_READERS_GROUP } from '../lib/plan-readers';
import { PRINCIPAL_ARN } from './cluster-inputs';

interface AccessEntriesProps {
  cluster: EksCluster;
  partition: string;
  caller: DataAwsCallerIdentity;
  adminArns: TerraformVariable;
  viewerArns: TerraformVariable;
  grantDeployerAdmin: TerraformVariable;
}

/** Administrators and read-only viewers of the cluster: access entries (no aws-auth ConfigMap). */
export function clusterAccessEntries(
  stack: ModuleStack,
  { cluster, partition, caller, adminArns, viewerArns, grantDeployerAdmin }: AccessEntriesProps,
): void {
  const accessEntries = (
    id: string,
    principals: string[],
    accessPolicy: string,
    kubernetesGroups?: string[],
  ) => {
    const entries = TerraformIterator.fromList(principals);
    const entry = new EksAccessEntry(stack, id, {
      forEach: entries,
      clusterName: cluster.name,
      principalArn: entries.value,
      type: 'STANDARD',
      ...(kubernetesGroups ? { kubernetesGroups } : {}),
    });
    const policies = TerraformIterator.fromList(principals);
    new EksAccessPolicyAssociation(stack, `${id}_policy`, {
      forEach: policies,
      clusterName: cluster.name,
      principalArn: policies.value,
      policyArn: `arn:${partition}:eks::aws:cluster-access-policy/${accessPolicy}`,
      accessScope: { type: 'cluster' },
      dependsOn: [entry],
    });
  };
  // Whoever applies the cluster layer (a laptop's SSO role, the CI deploy role) administers it,
  // so that the platform and app layers that follow can reach the Kubernetes API. Never a
  // viewer (the plan role would otherwise show up as an admin in pull-request plans), never a
  // principal EKS cannot grant (the root user, a federated user: the preflight names them).
  const deployer = new DataAwsIamSessionContext(stack, 'deployer', { arn: caller.arn });
  const deployerIsAdmin = Op.and(
    grantDeployerAdmin.booleanValue,
    Op.and(
      Fn.can(Fn.regex(PRINCIPAL_ARN, deployer.issuerArn)),
      Op.not(Fn.contains(viewerArns.listValue, deployer.issuerArn)),
    ),
  );
  const admins = Fn.distinct(
    Fn.concat([
      adminArns.listValue,
      Token.asList(Fn.conditional(deployerIsAdmin, [deployer.issuerArn], [])),
    ]),
  );
  accessEntries('admin', admins, 'AmazonEKSClusterAdminPolicy');
  // Read-only: the view policy has no Secret access, and Helm keeps its releases in Secrets;
  // the group is what the platform and app layers bind to those Secrets (lib/plan-readers.ts).
  accessEntries('viewer', viewerArns.listValue, 'AmazonEKSViewPolicy', [PLAN_READERS_GROUP]);
}
