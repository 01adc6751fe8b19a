import {
  DataAwsIamPolicyDocument,
  type DataAwsIamPolicyDocumentStatement,
} from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import { EksPodIdentityAssociation } from '@cdktf/provider-aws/lib/eks-pod-identity-association';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { Construct } from 'constructs';

export interface PodIdentityRoleProps {
  readonly roleName: string;
  readonly description: string;
  readonly clusterName: string;
  readonly namespace: string;
  readonly serviceAccount: string;
  /** The role's only permissions, naming exact resources. */
  readonly statements: DataAwsIamPolicyDocumentStatement[];
}

/**
 * An IAM role that one Kubernetes service account assumes through EKS Pod Identity
 * (the pod identity agent add-on exchanges the pod's token for the role's credentials).
 */
export class PodIdentityRole extends Construct {
  readonly role: IamRole;

  constructor(scope: Construct, id: string, props: PodIdentityRoleProps) {
    super(scope, id);
    // sts:TagSession is required: the agent tags sessions with the cluster, namespace
    // and service account names.
    const trust = new DataAwsIamPolicyDocument(this, 'trust', {
      statement: [
        {
          actions: ['sts:AssumeRole', 'sts:TagSession'],
          principals: [{ type: 'Service', identifiers: ['pods.eks.amazonaws.com'] }],
        },
      ],
    });
    this.role = new IamRole(this, 'role', {
      name: props.roleName,
      description: props.description,
      assumeRolePolicy: trust.json,
    });
    const permissions = new DataAwsIamPolicyDocument(this, 'permissions', {
      statement: props.statements,
    });
    new IamRolePolicy(this, 'policy', {
      name: 'least-privilege',
      role: this.role.id,
      policy: permissions.json,
    });
    new EksPodIdentityAssociation(this, 'association', {
      clusterName: props.clusterName,
      namespace: props.namespace,
      serviceAccount: props.serviceAccount,
      roleArn: this.role.arn,
    });
  }
}
