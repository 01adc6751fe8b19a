/**
 * The public names of an environment: `<prefix>.<domain>`, the domain being `<subdomain>.<zone>`
 * or the zone itself (edge module inputs dns_subdomain and dns_zone). One definition for the edge
 * module, which certifies them, and the shared module, whose deploy role may write only these
 * records (and their certificate's validation records) in Route 53.
 */
export const PUBLIC_HOST_PREFIXES = { api: 'api', grafana: 'grafana' } as const;
