import type { TerraformStack } from 'cdktf';
import { Input, Rule } from './inputs';

/** Names the layers share inside the cluster; the runbooks and live/environment.sh use them too. */
export const APP_NAMESPACE = 'payflow';
export const MONITORING_NAMESPACE = 'monitoring';
/** The Ingress group of the API and Grafana: one group, one load balancer. */
export const LOAD_BALANCER_GROUP = 'payflow';
const LOAD_BALANCER_GROUP_PATTERN = '^[a-z0-9]([a-z0-9.-]{0,61}[a-z0-9])?$';

/** The alb_group_name input of the platform, app and dns modules. */
export function loadBalancerGroupInput(stack: TerraformStack, description: string) {
  return Input.string(stack, 'alb_group_name', {
    description,
    default: LOAD_BALANCER_GROUP,
    validation: [Rule.matches(LOAD_BALANCER_GROUP_PATTERN, 'a lowercase name')],
  });
}
/** The ClusterSecretStore on AWS Secrets Manager that the app's ExternalSecrets read through. */
export const CLUSTER_SECRET_STORE = 'aws-secrets-manager';
