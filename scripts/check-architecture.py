#!/usr/bin/env python3
"""Fails when the module graph in Package.swift breaks the architecture (docs/architecture.md).

    python3 scripts/check-architecture.py [PATH/TO/Package.swift]

The rules:
- the core (StockpipeCore) depends on StockpipeJSON only;
- each backend depends on the core, StockpipeJSON and its own libraries, never on another backend;
- the pipeline, the dashboard and the export depend on no backend and not on the app, directly or through
  another module, and link none of the backends' libraries (GRDB, librdkafka, the CQL stack).

It evaluates the manifest with `swift package dump-package` in a scratch directory, so it never
waits for a build of the package that is running at the same time.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

CORE = "StockpipeCore"
SHARED = {CORE, "StockpipeJSON"}
# Each backend, and the modules of the package that are its own (CQL is the Cassandra store's protocol).
BACKENDS = {
    "StockpipeSQLite": set(),
    "StockpipeKafka": {"CRdKafka"},
    "StockpipeCassandra": {"StockpipeCQL"},
    "StockpipeSources": set(),
    "StockpipeFinnhub": set(),
}
BACKEND_MODULES = set(BACKENDS) | {"CRdKafka", "StockpipeCQL"}
BACKEND_PRODUCTS = {"GRDB", "GRDBSQLite", "AsyncHTTPClient", "WSClient", "NIOPosix", "Yams"}
BACKEND_FREE = ["StockpipePipeline", "StockpipeDashboard", "StockpipeExport"]
APP = "StockpipeApp"


def manifest(path):
    with tempfile.TemporaryDirectory() as scratch:
        shutil.copy(path, os.path.join(scratch, "Package.swift"))
        output = subprocess.run(["swift", "package", "dump-package"], cwd=scratch,
                                capture_output=True, text=True)
        if output.returncode != 0:
            sys.exit(f"check-architecture: swift package dump-package failed:\n{output.stderr}")
        return json.loads(output.stdout)


def dependencies(target):
    modules, products = set(), set()
    for dependency in target["dependencies"]:
        if "byName" in dependency:
            modules.add(dependency["byName"][0])
        elif "target" in dependency:
            modules.add(dependency["target"][0])
        elif "product" in dependency:
            products.add(dependency["product"][0])
    return modules, products


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "Package.swift")
    targets = {t["name"]: dependencies(t) for t in manifest(path)["targets"]}

    def closure(name):
        """Every module and product `name` reaches, each with the direct dependency it comes through
        (None for a direct one)."""
        seen, products, stack = {}, {}, [(name, None)]
        while stack:
            current, via = stack.pop()
            modules, direct_products = targets.get(current, (set(), set()))
            for product in direct_products:
                products.setdefault(product, current)
            for module in modules:
                if module not in seen:
                    seen[module] = via
                    stack.append((module, via or module))
        return seen, products

    problems = []
    missing = [name for name in [CORE, APP, *BACKENDS, *BACKEND_FREE] if name not in targets]
    if missing:
        problems.append(f"no target named {', '.join(missing)}")
    if CORE in targets:
        extra = targets[CORE][0] - {"StockpipeJSON"}
        if extra:
            problems.append(f"{CORE} depends on {', '.join(sorted(extra))}; it may depend on StockpipeJSON only")
    for backend, own in BACKENDS.items():
        if backend not in targets:
            continue
        reached, _ = closure(backend)
        others = sorted(set(reached) - SHARED - own)
        if others:
            problems.append(f"the backend {backend} depends on {', '.join(others)}; "
                            f"a backend depends on the core and its own libraries only")
    for name in BACKEND_FREE:
        if name not in targets:
            continue
        reached, products = closure(name)
        for module in sorted((set(reached) & (BACKEND_MODULES | {APP}))):
            through = f" (through {reached[module]})" if reached[module] else ""
            problems.append(f"{name} depends on {module}{through}; it may use the core's interfaces only")
        for product in sorted(set(products) & BACKEND_PRODUCTS):
            problems.append(f"{name} links {product} (through {products[product]}), a backend's library")
    if problems:
        print("check-architecture: the module graph breaks the architecture (docs/architecture.md):", file=sys.stderr)
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
        sys.exit(1)
    print(f"check-architecture: {len(targets)} targets; the core, {len(BACKENDS)} backends, "
          f"the pipeline, the dashboard and the export keep to their dependencies")


if __name__ == "__main__":
    main()
