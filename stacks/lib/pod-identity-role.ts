import { EksPodIdentityAssociation } from '@cdktf/provider-aws/lib/eks-pod-identity-association';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { IamRolePolicyAttachment } from '@cdktf/provider-aws/lib/iam-role-policy-attachment';
import { Construct } from 'constructs';

/** An IAM policy document, serialized with JSON.stringify into the Terraform JSON. */
export interface PolicyDocument {
  Version: '2012-10-17';
  Statement: Record<string, unknown>[];
}

export interface PodIdentityRoleProps {
  /** IAM role name, e.g. `${namePrefix}-aws-load-balancer-controller`. */
  readonly roleName: string;
  readonly clusterName: string;
  readonly accountId: string;
  readonly namespace: string;
  readonly serviceAccount: string;
  /** Inline policy naming exact ARNs (preferred: the role lives in the module owning them). */
  readonly policy?: PolicyDocument;
  /** AWS managed policies, when AWS maintains the least-privilege policy (EBS CSI driver). */
  readonly managedPolicyArns?: readonly string[];
  /**
   * Create the aws_eks_pod_identity_association (default true). An EKS add-on that takes a
   * `pod_identity_association` block (aws-ebs-csi-driver) creates its own: pass false.
   */
  readonly associate?: boolean;
}

/**
 * An IAM role for one Kubernetes service account through EKS Pod Identity. The trust
 * policy only lets the Pod Identity agent assume it for that cluster, namespace and service
 * account (session tags EKS sets on every assumption), from this account.
 */
export class PodIdentityRole extends Construct {
  readonly role: IamRole;

  constructor(scope: Construct, id: string, props: PodIdentityRoleProps) {
    super(scope, id);
    this.role = new IamRole(this, 'role', {
      name: props.roleName,
      description: `EKS Pod Identity: ${props.namespace}/${props.serviceAccount} on ${props.clusterName}`,
      assumeRolePolicy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'EksPodIdentityForOneServiceAccount',
            Effect: 'Allow',
            Principal: { Service: 'pods.eks.amazonaws.com' },
            Action: ['sts:AssumeRole', 'sts:TagSession'],
            Condition: {
              StringEquals: {
                'aws:SourceAccount': props.accountId,
                'aws:RequestTag/eks-cluster-name': props.clusterName,
                'aws:RequestTag/kubernetes-namespace': props.namespace,
                'aws:RequestTag/kubernetes-service-account': props.serviceAccount,
              },
            },
          },
        ],
      }),
    });
    if (props.policy) {
      new IamRolePolicy(this, 'policy', {
        name: 'least-privilege',
        role: this.role.id,
        policy: JSON.stringify(props.policy),
      });
    }
    (props.managedPolicyArns ?? []).forEach((policyArn, index) => {
      new IamRolePolicyAttachment(this, `managed_${index}`, { role: this.role.name, policyArn });
    });
    if (props.associate ?? true) {
      new EksPodIdentityAssociation(this, 'association', {
        clusterName: props.clusterName,
        namespace: props.namespace,
        serviceAccount: props.serviceAccount,
        roleArn: this.role.arn,
      });
    }
  }
}
