/** Names the layers share inside the cluster; the runbooks and live/environment.sh use them too. */
export const APP_NAMESPACE = 'payflow';
export const MONITORING_NAMESPACE = 'monitoring';
/** The Ingress group of the API and Grafana: one group, one load balancer. */
export const LOAD_BALANCER_GROUP = 'payflow';
export const LOAD_BALANCER_GROUP_PATTERN = '^[a-z0-9]([a-z0-9.-]{0,61}[a-z0-9])?$';
/** The ClusterSecretStore on AWS Secrets Manager that the app's ExternalSecrets read through. */
export const CLUSTER_SECRET_STORE = 'aws-secrets-manager';
