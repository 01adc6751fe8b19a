#!/usr/bin/env bash
# Adds a tag to an image already in an ECR repository: the same digest under a second name. The
# repository's tags are immutable, so a tag is only ever added, never moved; a tag that is there
# already is left as it is.
#
#   live/tag-image.sh <repository name> <existing tag> <new tag>
#
# make deploy (live/environment.sh) adds deployed-<environment>-<commit> before it applies the
# environment (the lifecycle policy never expires those: stacks/shared/container-repository.ts);
# .github/workflows/_deploy.yml adds the release version after a production deploy.
set -euo pipefail

if (($# != 3)); then
  printf 'usage: %s <repository name> <existing tag> <new tag>\n' "${0##*/}" >&2
  exit 2
fi
repository="$1" existing="$2" new="$3"

if aws ecr describe-images --repository-name "$repository" --image-ids "imageTag=$new" >/dev/null 2>&1; then
  printf 'ECR already has %s:%s\n' "$repository" "$new"
  exit 0
fi
image() {
  aws ecr batch-get-image --repository-name "$repository" --image-ids "imageTag=$existing" \
    --query "images[0].$1" --output text
}
manifest="$(image imageManifest)"
media_type="$(image imageManifestMediaType)"
aws ecr put-image --repository-name "$repository" --image-tag "$new" \
  --image-manifest "$manifest" --image-manifest-media-type "$media_type" >/dev/null
printf 'tagged %s:%s as %s\n' "$repository" "$existing" "$new"
