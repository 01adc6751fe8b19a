#!/usr/bin/env bash
# Installs a pinned CLI that has no maintained setup action, from its GitHub
# release, after checking the archive against the checksum file published with
# that release (the Session Manager plugin: AWS's versioned download, checked
# against the SHA-256 pinned beside its version). Versions come from the
# workflow's env block so that Dependabot diffs and reviewers see them in one place.
#   usage: install-release-binary.sh terragrunt|kubeconform|gitleaks|session-manager-plugin
set -euo pipefail

tool="${1:?usage: $0 terragrunt|kubeconform|gitleaks|session-manager-plugin}"
bin_dir="${HOME}/.local/bin"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$bin_dir"

# fetch URL FILE: download with retries, failing on HTTP errors.
fetch() { curl --proto '=https' --tlsv1.2 --retry 3 --retry-all-errors -fsSL "$1" -o "$2"; }

# verify FILE SUMS: the line of SUMS naming FILE must match FILE's SHA-256.
verify() {
  local file="$1" sums="$2" expected actual
  expected="$(awk -v f="$file" '$2 == f || $2 == "*" f { print $1 }' "$sums")"
  [ -n "$expected" ] || { echo "no checksum for $file in $sums" >&2; exit 1; }
  actual="$(sha256sum "$work/$file" | awk '{ print $1 }')"
  [ "$expected" = "$actual" ] || { echo "checksum mismatch for $file" >&2; exit 1; }
}

case "$tool" in
  terragrunt)
    version="${TERRAGRUNT_VERSION:?set TERRAGRUNT_VERSION, e.g. 0.94.0}"
    base="https://github.com/gruntwork-io/terragrunt/releases/download/v${version#v}"
    fetch "$base/terragrunt_linux_amd64" "$work/terragrunt_linux_amd64"
    fetch "$base/SHA256SUMS" "$work/SHA256SUMS"
    verify terragrunt_linux_amd64 "$work/SHA256SUMS"
    install -m 0755 "$work/terragrunt_linux_amd64" "$bin_dir/terragrunt"
    ;;
  kubeconform)
    version="${KUBECONFORM_VERSION:?set KUBECONFORM_VERSION, e.g. v0.6.7}"
    base="https://github.com/yannh/kubeconform/releases/download/v${version#v}"
    fetch "$base/kubeconform-linux-amd64.tar.gz" "$work/kubeconform-linux-amd64.tar.gz"
    fetch "$base/CHECKSUMS" "$work/CHECKSUMS"
    verify kubeconform-linux-amd64.tar.gz "$work/CHECKSUMS"
    tar -xzf "$work/kubeconform-linux-amd64.tar.gz" -C "$work" kubeconform
    install -m 0755 "$work/kubeconform" "$bin_dir/kubeconform"
    ;;
  gitleaks)
    version="${GITLEAKS_VERSION:?set GITLEAKS_VERSION, e.g. 8.21.2}"
    version="${version#v}"
    base="https://github.com/gitleaks/gitleaks/releases/download/v${version}"
    archive="gitleaks_${version}_linux_x64.tar.gz"
    fetch "$base/$archive" "$work/$archive"
    fetch "$base/gitleaks_${version}_checksums.txt" "$work/checksums.txt"
    verify "$archive" "$work/checksums.txt"
    tar -xzf "$work/$archive" -C "$work" gitleaks
    install -m 0755 "$work/gitleaks" "$bin_dir/gitleaks"
    ;;
  session-manager-plugin)
    # aws ssm start-session runs it: live/environment.sh tunnels to the private Kubernetes API.
    version="${SESSION_MANAGER_PLUGIN_VERSION:?set SESSION_MANAGER_PLUGIN_VERSION, e.g. 1.2.835.0}"
    package="session-manager-plugin.deb"
    fetch "https://s3.amazonaws.com/session-manager-downloads/plugin/${version}/ubuntu_64bit/${package}" "$work/$package"
    printf '%s  %s\n' "${SESSION_MANAGER_PLUGIN_SHA256:?set SESSION_MANAGER_PLUGIN_SHA256}" "$package" >"$work/SHA256SUMS"
    verify "$package" "$work/SHA256SUMS"
    dpkg-deb --extract "$work/$package" "$work/root"
    install -m 0755 "$work/root/usr/local/sessionmanagerplugin/bin/session-manager-plugin" "$bin_dir/session-manager-plugin"
    ;;
  *)
    echo "unknown tool: $tool" >&2
    exit 2
    ;;
esac

if [ -n "${GITHUB_PATH:-}" ]; then echo "$bin_dir" >>"$GITHUB_PATH"; fi
case "$tool" in
  kubeconform) "$bin_dir/kubeconform" -v ;;
  gitleaks) "$bin_dir/gitleaks" version ;;
  session-manager-plugin) "$bin_dir/session-manager-plugin" --version ;;
  *) "$bin_dir/$tool" --version ;;
esac
