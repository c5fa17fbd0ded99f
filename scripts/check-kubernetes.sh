#!/usr/bin/env bash
# Validates deploy/kubernetes offline, as CI does: renders each overlay with kubectl's built-in Kustomize,
# then checks every rendered resource
#   - against the Kubernetes API's schemas (kubernetes-validate --strict, unknown fields refused), for the
#     oldest Kubernetes these manifests are for and the newest the pinned kubernetes-validate knows;
#   - KEDA's ScaledObject and TriggerAuthentication, which kubernetes-validate has no schema for (it only
#     warns and passes a kind it does not know), against a JSON Schema made from cloudcoil-models-keda,
#     Python models generated from KEDA's own CRDs, made as strict (unknown fields refused);
#   - with checkov's Kubernetes policies, each check left unfixed skipped with its reason in a
#     checkov.io/skipN annotation on the resource.
# Nothing here connects to a cluster or a registry.
#
#   python3 -m venv .build/kubernetes
#   .build/kubernetes/bin/pip install kubernetes-validate==1.37.0 checkov==3.3.30 cloudcoil.models.keda==2.16.1.0
#   KUBERNETES_VALIDATE=.build/kubernetes/bin/kubernetes-validate CHECKOV=.build/kubernetes/bin/checkov \
#     scripts/check-kubernetes.sh
#
# KUBERNETES_DIR checks another copy of deploy/kubernetes (the tests check that a broken one fails).
# Each tool is taken from its variable, or from PATH: KUBECTL (kubectl, with Kustomize 5),
# KUBERNETES_VALIDATE, CHECKOV, and KUBERNETES_PYTHON, a Python with jsonschema, PyYAML and
# cloudcoil.models.keda (by default the python beside kubernetes-validate, which a venv has, else
# python3). Exits non-zero if any check fails, after running them all.
set -euo pipefail

cd "$(dirname "$0")/.."

# The oldest Kubernetes the manifests are for (unhealthyPodEvictionPolicy and the StatefulSets'
# persistentVolumeClaimRetentionPolicy are GA since 1.31 and 1.32), and the newest schemas
# kubernetes-validate 1.37.0 ships.
KUBERNETES_VERSIONS=(1.33.0 1.37.0)
OVERLAYS=(local production)

KUBERNETES_DIR=${KUBERNETES_DIR:-deploy/kubernetes}
KUBECTL=${KUBECTL:-kubectl}
KUBERNETES_VALIDATE=${KUBERNETES_VALIDATE:-kubernetes-validate}
CHECKOV=${CHECKOV:-checkov}

install_hint="python3 -m venv .build/kubernetes && .build/kubernetes/bin/pip install kubernetes-validate==1.37.0 checkov==3.3.30 cloudcoil.models.keda==2.16.1.0"

need() { # VARIABLE COMMAND HINT
    if ! command -v "$2" > /dev/null 2>&1; then
        echo "check-kubernetes: $2 not found: $3, or set $1" >&2
        exit 1
    fi
}
need KUBECTL "$KUBECTL" "install kubectl (1.27 or newer: Kustomize 5)"
need KUBERNETES_VALIDATE "$KUBERNETES_VALIDATE" "$install_hint"
need CHECKOV "$CHECKOV" "$install_hint"
if [[ -z ${KUBERNETES_PYTHON:-} ]]; then
    KUBERNETES_PYTHON=$(dirname "$(command -v "$KUBERNETES_VALIDATE")")/python
    [[ -x $KUBERNETES_PYTHON ]] || KUBERNETES_PYTHON=python3
fi
need KUBERNETES_PYTHON "$KUBERNETES_PYTHON" "$install_hint"
if ! "$KUBERNETES_PYTHON" -c 'import cloudcoil.models.keda, jsonschema, yaml' 2> /dev/null; then
    echo "check-kubernetes: $KUBERNETES_PYTHON cannot import cloudcoil.models.keda, jsonschema and yaml: $install_hint, or set KUBERNETES_PYTHON" >&2
    exit 1
fi

tmp=$(mktemp -d)
cleanup() {
    local status=$?
    if [[ $status -eq 0 ]]; then
        rm -rf "$tmp"
    else
        echo "check-kubernetes: the rendered manifests are kept in $tmp" >&2
    fi
}
trap cleanup EXIT

failures=()
fail() { # WHAT
    failures+=("$1")
}

# Splits RENDERED into the resources of Kubernetes' own API groups (written to BUILTIN, for
# kubernetes-validate) and KEDA's, which it validates here. Also checks that the autoscaling ceiling is
# the topics' partition count, which two files state.
check_keda() { # RENDERED BUILTIN
    "$KUBERNETES_PYTHON" - "$1" "$2" << 'PY'
import importlib.metadata
import sys

import jsonschema
import yaml
from cloudcoil.models.keda import v1alpha1 as keda

rendered, builtin = sys.argv[1], sys.argv[2]
version = importlib.metadata.version("cloudcoil.models.keda")
models = {"ScaledObject": keda.ScaledObject, "TriggerAuthentication": keda.TriggerAuthentication}


def strict(node):
    """Refuses unknown fields wherever the model lists its fields, as the API server does with
    `kubectl apply --validate=strict` (a CRD's structural schema prunes them otherwise)."""
    if isinstance(node, dict):
        if "properties" in node and "additionalProperties" not in node:
            node["additionalProperties"] = False
        for value in node.values():
            strict(value)
    elif isinstance(node, list):
        for value in node:
            strict(value)
    return node


validators = {
    kind: jsonschema.Draft202012Validator(strict(model.model_json_schema(by_alias=True, mode="validation")))
    for kind, model in models.items()
}

documents = [d for d in yaml.safe_load_all(open(rendered)) if d]
errors = 0
others = []
for document in documents:
    group = document.get("apiVersion", "").partition("/")[0]
    if group != "keda.sh":
        others.append(document)
        continue
    kind, name = document.get("kind"), document.get("metadata", {}).get("name")
    validator = validators.get(kind)
    if validator is None or document.get("apiVersion") != "keda.sh/v1alpha1":
        print(f"ERROR {rendered}: no schema for {document.get('apiVersion')} {kind} {name}")
        errors += 1
        continue
    found = sorted(validator.iter_errors(document), key=lambda e: list(e.path))
    for error in found:
        path = ".".join(str(p) for p in error.path)
        print(f"ERROR {rendered} did not validate for resource {kind.lower()}/{name}: {path}: {error.message}")
    errors += len(found)
    if not found:
        print(f"INFO {rendered} passed for resource {kind.lower()}/{name} against KEDA's CRDs (cloudcoil-models-keda {version})")

# A trigger's metadata is a free map in KEDA's CRD, and its Kafka scaler ignores a key it does not know: a
# misspelt lagThreshold would fall back to 10, one replica per 10 records of lag. So the keys are checked
# against the Kafka scaler's parameters (KEDA 2.16's documentation), and the thresholds are whole numbers.
kafka_parameters = {
    "bootstrapServers", "consumerGroup", "topic", "lagThreshold", "activationLagThreshold", "offsetResetPolicy",
    "allowIdleConsumers", "scaleToZeroOnInvalidOffset", "excludePersistentLag", "limitToPartitionsWithLag", "version",
    "partitionLimitation", "sasl", "tls", "unsafeSsl", "saslTokenProvider", "awsRegion", "awsEndpoint",
}
for document in documents:
    if document.get("kind") != "ScaledObject":
        continue
    name = document["metadata"]["name"]
    for index, trigger in enumerate(document["spec"].get("triggers", [])):
        if trigger.get("type") != "kafka":
            continue
        metadata = trigger.get("metadata", {})
        for key in sorted(set(metadata) - kafka_parameters):
            print(f"ERROR {rendered}: scaledobject/{name} trigger {index}: {key} is not a parameter of KEDA's Kafka scaler")
            errors += 1
        for key in ("lagThreshold", "activationLagThreshold"):
            if key in metadata and not str(metadata[key]).isdigit():
                print(f"ERROR {rendered}: scaledobject/{name} trigger {index}: {key} must be a whole number, not {metadata[key]!r}")
                errors += 1
        for key in ("bootstrapServers", "consumerGroup", "topic", "lagThreshold"):
            if key not in metadata:
                print(f"ERROR {rendered}: scaledobject/{name} trigger {index}: no {key}")
                errors += 1

# KEDA's ceiling must be the partitions of `topics create`: above them replicas idle, below them the
# stage cannot use them all.
partitions = None
for document in documents:
    if document.get("kind") == "Job" and document["metadata"]["name"] == "topics-init":
        args = document["spec"]["template"]["spec"]["containers"][0]["args"]
        partitions = int(args[args.index("--partitions") + 1])
for document in documents:
    if document.get("kind") == "ScaledObject":
        ceiling = document["spec"].get("maxReplicaCount")
        if partitions is not None and ceiling != partitions:
            name = document["metadata"]["name"]
            print(f"ERROR {rendered}: scaledobject/{name} maxReplicaCount {ceiling} is not the {partitions} partitions of topics-init")
            errors += 1

with open(builtin, "w") as out:
    yaml.safe_dump_all(others, out, sort_keys=False)
sys.exit(1 if errors else 0)
PY
}

for overlay in "${OVERLAYS[@]}"; do
    dir=$KUBERNETES_DIR/overlays/$overlay
    rendered=$tmp/$overlay.yaml
    echo "== $dir"

    # kubectl prints Kustomize's deprecation warnings on stderr: any is a failure.
    if ! "$KUBECTL" kustomize "$dir" > "$rendered" 2> "$tmp/$overlay.kustomize.err"; then
        cat "$tmp/$overlay.kustomize.err"
        fail "$overlay: kubectl kustomize"
        continue
    fi
    if [[ -s $tmp/$overlay.kustomize.err ]]; then
        cat "$tmp/$overlay.kustomize.err"
        fail "$overlay: kubectl kustomize printed warnings"
    fi
    echo "kustomize: $(grep -c '^kind:' "$rendered") resources"

    if output=$(check_keda "$rendered" "$tmp/$overlay.builtin.yaml"); then
        echo "keda: $(grep -c '^INFO' <<< "$output") passed"
    else
        grep -v '^INFO' <<< "$output" || true
        fail "$overlay: KEDA resources"
    fi

    for version in "${KUBERNETES_VERSIONS[@]}"; do
        # Without the KEDA resources, a WARN (no schema for a kind) means a resource went unchecked.
        if output=$("$KUBERNETES_VALIDATE" --strict --kubernetes-version "$version" "$tmp/$overlay.builtin.yaml" 2>&1) &&
            ! grep -q -v '^INFO' <<< "$output"; then
            echo "kubernetes-validate $version: $(grep -c '^INFO' <<< "$output") passed"
        else
            grep -v '^INFO' <<< "$output" || true
            fail "$overlay: kubernetes-validate $version"
        fi
    done

    # --quiet: failed checks only, then the counts; --compact: without the YAML of each.
    if output=$("$CHECKOV" --framework kubernetes --file "$rendered" --quiet --compact --skip-download 2>&1); then
        echo "checkov: $(grep -m 1 '^Passed checks' <<< "$output")"
    else
        echo "$output"
        fail "$overlay: checkov"
    fi
done

if ((${#failures[@]})); then
    printf 'check-kubernetes: FAILED: %s\n' "${failures[@]}" >&2
    exit 1
fi
echo "check-kubernetes: every overlay renders without warnings and passes kubernetes-validate, KEDA's schemas and checkov"
