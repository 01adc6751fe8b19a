// What an ECR lifecycle policy expires from a list of images, following the rules of the ECR
// user guide ("How lifecycle policies work", "Lifecycle policy properties"):
// - rules are applied in rulePriority order, lowest first;
// - a rule selects images by tagStatus: `untagged` (no tag), `any`, or `tagged` with a
//   tagPrefixList or tagPatternList, where the image matches when *every* prefix (pattern) of
//   the list matches at least one of its tags (patterns: `*` matches any characters);
// - imageCountMoreThan: the selected images sorted by push time, newest first, beyond countNumber
//   are expired; sinceImagePushed: those pushed more than countNumber days ago;
// - an image whose tags match a rule can never be expired by a lower-priority rule (it still
//   counts in their selection), and an image is expired by at most one rule.

export interface Image {
  readonly digest: string;
  readonly tags: readonly string[];
  readonly pushedAt: Date;
}

export interface LifecycleRule {
  readonly rulePriority: number;
  readonly selection: {
    readonly tagStatus: 'tagged' | 'untagged' | 'any';
    readonly tagPrefixList?: readonly string[];
    readonly tagPatternList?: readonly string[];
    readonly countType: 'imageCountMoreThan' | 'sinceImagePushed';
    readonly countUnit?: 'days';
    readonly countNumber: number;
  };
  readonly action: { readonly type: 'expire' };
}

const DAY_MS = 24 * 60 * 60 * 1000;

const patternMatches = (pattern: string, tag: string): boolean =>
  new RegExp(
    `^${pattern
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  ).test(tag);

/** Does the rule's tag selection match the image? */
export function selects(rule: LifecycleRule, image: Image): boolean {
  const { tagStatus, tagPrefixList, tagPatternList } = rule.selection;
  if (tagStatus === 'any') return true;
  if (tagStatus === 'untagged') return image.tags.length === 0;
  if (image.tags.length === 0) return false;
  if (tagPrefixList) {
    return tagPrefixList.every((prefix) => image.tags.some((tag) => tag.startsWith(prefix)));
  }
  if (tagPatternList) {
    return tagPatternList.every((pattern) =>
      image.tags.some((tag) => patternMatches(pattern, tag)),
    );
  }
  throw new Error(`rule ${rule.rulePriority}: tagged needs tagPrefixList or tagPatternList`);
}

/** The digests the policy expires, evaluated at `now`. */
export function expiredImages(
  rules: readonly LifecycleRule[],
  images: readonly Image[],
  now: Date,
): Set<string> {
  const expired = new Set<string>();
  /** Images whose tags matched a rule applied earlier: later rules cannot expire them. */
  const claimed = new Set<string>();
  for (const rule of [...rules].sort((a, b) => a.rulePriority - b.rulePriority)) {
    const selected = images
      .filter((image) => selects(rule, image))
      .sort((a, b) => b.pushedAt.getTime() - a.pushedAt.getTime());
    const { countType, countNumber } = rule.selection;
    const candidates =
      countType === 'imageCountMoreThan'
        ? selected.slice(countNumber)
        : selected.filter((i) => now.getTime() - i.pushedAt.getTime() > countNumber * DAY_MS);
    for (const image of candidates) {
      if (!claimed.has(image.digest)) expired.add(image.digest);
    }
    for (const image of selected) claimed.add(image.digest);
  }
  return expired;
}
