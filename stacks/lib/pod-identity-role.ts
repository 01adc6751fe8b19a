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

/** The service principal of the EKS Pod Identity agent. */
export const POD_IDENTITY_PRINCIPAL = 'pods.eks.amazonaws.com';

/**
 * Session tags EKS Pod Identity sets on every AssumeRole (EKS user guide, "Create IAM role with
 * trust policy required by EKS Pod Identity"): a trust policy pins the cluster, the namespace and
 * the service account with `aws:RequestTag/<key>`. The cluster ARN also names the account and the
 * region. aws:SourceAccount and aws:SourceArn are not documented for this principal, and a
 * StringEquals on a key missing from the request would refuse every pod.
 */
export const POD_IDENTITY_SESSION_TAGS = {
  cluster: 'aws:RequestTag/eks-cluster-arn',
  namespace: 'aws:RequestTag/kubernetes-namespace',
  serviceAccount: 'aws:RequestTag/kubernetes-service-account',
} as const;

export interface PodIdentityRoleProps {
  /** IAM role name, e.g. `${namePrefix}-aws-load-balancer-controller`. */
  readonly roleName: string;
  /** What the role is for; default "EKS Pod Identity: <namespace>/<service account>". */
  readonly description?: string;
  /** The cluster the association is made in (a name, or a reference to it). */
  readonly clusterName: string;
  /** That cluster's ARN: the trust policy admits sessions tagged with it only. */
  readonly clusterArn: string;
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
 * An IAM role for one Kubernetes service account through EKS Pod Identity: the only way any
 * module gives a pod AWS credentials. The trust policy lets the Pod Identity agent assume it
 * for that cluster, namespace and service account only (the session tags EKS sets on every
 * assumption); the control IAM-POD-IDENTITY-TRUST (stacks/test/policies) requires exactly that
 * of every role trusting pods.eks.amazonaws.com.
 */
export class PodIdentityRole extends Construct {
  readonly role: IamRole;

  constructor(scope: Construct, id: string, props: PodIdentityRoleProps) {
    super(scope, id);
    this.role = new IamRole(this, 'role', {
      name: props.roleName,
      description:
        props.description ?? `EKS Pod Identity: ${props.namespace}/${props.serviceAccount}`,
      assumeRolePolicy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'EksPodIdentityForOneServiceAccount',
            Effect: 'Allow',
            Principal: { Service: POD_IDENTITY_PRINCIPAL },
            // sts:TagSession: the agent tags the session with the names the condition checks.
            Action: ['sts:AssumeRole', 'sts:TagSession'],
            Condition: {
              StringEquals: {
                [POD_IDENTITY_SESSION_TAGS.cluster]: props.clusterArn,
                [POD_IDENTITY_SESSION_TAGS.namespace]: props.namespace,
                [POD_IDENTITY_SESSION_TAGS.serviceAccount]: props.serviceAccount,
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
