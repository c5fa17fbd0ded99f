"""Validates Compose files against the Compose Specification's JSON schema (compose_spec.json, as shipped
with the docker-compose package), independently of docker-compose's own loader. Prints one line per
error and exits 1 if there is any."""
import json
import os
import sys

import compose.config
import jsonschema
import yaml

with open(os.path.join(os.path.dirname(compose.config.__file__), "compose_spec.json")) as schema_file:
    schema = json.load(schema_file)
validator = jsonschema.Draft7Validator(schema)
status = 0
for path in sys.argv[1:]:
    with open(path) as document_file:
        document = yaml.safe_load(document_file)
    for error in sorted(validator.iter_errors(document), key=lambda error: list(map(str, error.path))):
        print(f"{path}: {'/'.join(map(str, error.path)) or '(top level)'}: {error.message}")
        status = 1
sys.exit(status)
