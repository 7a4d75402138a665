"""The code's shape: a package per audience, small modules, dependencies pointing one way."""

import ast
import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent
PACKAGES = ("handlers", "models", "workers", "tools")
MAX_LINES = 400
# The one place handlers touch NDB: the per-request context and its RPC counting.
NDB_PLUMBING = {"handlers.context"}
# What the workers may use of handlers: the NDB context a background thread opens.
WORKERS_USE_OF_HANDLERS = {"handlers.context"}
# The request handlers that start the workers (cron and Cloud Tasks endpoints); they only call them.
STARTS_WORKERS = {"handlers.tasks"}
# What sends and probes: only the workers use it.
SENDING_AND_PROBING = {"workers.outbound", "models.outbox", "models.probes", "threading", "concurrent.futures",
                       "http.client", "socket", "urllib.request"}


def project_modules():
    """{module name: path} of the app's own Python modules."""
    modules = {"main": ROOT / "main.py", "config": ROOT / "config.py"}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            modules[name] = path
    return modules


def imports_of(path, modules):
    """The project modules `path` imports (a `from package import submodule` names the submodule)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name in modules)
        elif isinstance(node, ast.ImportFrom) and node.module in modules:
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                found.add(submodule if submodule in modules else node.module)
    return found


def test_handlers_hold_one_package_per_audience():
    packages = {path.parent.name for path in (ROOT / "handlers").glob("*/__init__.py")}
    assert {"site", "api", "admin", "auth"} <= packages


def test_workers_sit_beside_handlers_not_among_them():
    modules = project_modules()
    assert {"workers.notify", "workers.probes", "workers.outbound"} <= set(modules)
    assert not {"handlers.notify", "handlers.probing", "handlers.outbound"} & set(modules)


def test_workers_use_the_models_and_only_the_ndb_context_of_handlers():
    modules = project_modules()
    for name, path in modules.items():
        if name.startswith("workers"):
            assert {m for m in imports_of(path, modules) if m.startswith("handlers")} <= WORKERS_USE_OF_HANDLERS, name


def test_only_the_cron_endpoints_start_the_workers_and_they_only_call_them():
    modules = project_modules()
    for name, path in modules.items():
        if name.startswith("handlers"):
            workers = {m for m in imports_of(path, modules) if m.startswith("workers")}
            assert not workers or name in STARTS_WORKERS, name
    for name in STARTS_WORKERS:
        tree = ast.parse(modules[name].read_text())
        imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
        imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
        imported |= {f"{node.module}.{alias.name}" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                     for alias in node.names}
        assert not imported & SENDING_AND_PROBING, name


def test_no_module_is_over_400_lines():
    long = {name: len(path.read_text().splitlines()) for name, path in project_modules().items()}
    assert {name: lines for name, lines in long.items() if lines > MAX_LINES} == {}


def test_imports_point_one_way():
    modules = project_modules()
    graph = {name: imports_of(path, modules) - {name} for name, path in modules.items()}
    state, cycles = {}, []

    def visit(name, trail):
        state[name] = "open"
        for dependency in sorted(graph[name]):
            if state.get(dependency) == "open":
                cycles.append(trail[trail.index(dependency):] + [dependency])
            elif dependency not in state:
                visit(dependency, trail + [dependency])
        state[name] = "done"

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert cycles == []


def test_handlers_leave_the_datastore_to_the_models():
    for name, path in project_modules().items():
        if name.startswith("handlers") and name not in NDB_PLUMBING:
            tree = ast.parse(path.read_text())
            imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
            imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
            assert not {module for module in imported if module and "ndb" in module}, name
