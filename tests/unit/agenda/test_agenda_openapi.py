"""bot/agenda/openapi.yaml is a valid OpenAPI 3 document and lists exactly the agenda service's routes."""
import re

import pytest
import yaml

from bot.agenda import db
from bot.agenda.service import POOL, create_app
from bot.agenda.store import AgendaStore
from tests.support.openapi_checks import operations, refs, resolve

from bot.paths import ROOT
SPEC_PATH = ROOT / "bot" / "agenda" / "openapi.yaml"

try:
    from openapi_spec_validator import validate_spec
except ImportError:  # not installed in this environment: structural checks by hand instead
    validate_spec = None


@pytest.fixture(scope="module")
def spec():
    with SPEC_PATH.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def test_spec_is_valid_openapi_3(spec):
    if validate_spec is not None:
        validate_spec(spec)
        return
    # openapi_spec_validator is not importable: check the structure by hand.
    assert isinstance(spec, dict)
    assert str(spec.get("openapi", "")).startswith("3."), "openapi must be a 3.x version string"
    assert isinstance(spec.get("info"), dict)
    assert spec["info"].get("title") and spec["info"].get("version")
    assert isinstance(spec.get("paths"), dict) and spec["paths"]
    references = list(refs(spec))
    assert references, "the document is expected to use $ref"
    for ref in references:
        resolve(spec, ref)
    schemes = spec.get("components", {}).get("securitySchemes", {})
    for path, method, operation in operations(spec):
        assert path.startswith("/")
        responses = operation.get("responses")
        assert isinstance(responses, dict) and responses, f"{method} {path} has no responses"
        for status in responses:
            assert re.fullmatch(r"[1-5]\d\d|default|[1-5]XX", str(status)), f"{method} {path}: bad status {status}"
        for requirement in operation.get("security", spec.get("security", [])):
            for name in requirement:
                assert name in schemes, f"{method} {path}: unknown security scheme {name}"
        parameters = [resolve(spec, p["$ref"]) if "$ref" in p else p for p in operation.get("parameters", [])]
        declared = {p["name"] for p in parameters if p["in"] == "path"}
        assert all(p.get("required") for p in parameters if p["in"] == "path")
        assert declared == set(re.findall(r"{([^}]+)}", path)), f"{method} {path}: path parameters"


def test_spec_lists_exactly_the_registered_routes(spec, tmp_path):
    engine = db.make_engine(f"sqlite:///{tmp_path}/a.db")
    db.migrate(engine)
    app = create_app(AgendaStore(engine))
    try:
        registered = {(route.method, route.resource.canonical)
                      for route in app.router.routes() if route.method != "HEAD"}
    finally:
        app[POOL].shutdown(wait=False)
        engine.dispose()
    documented = {(method.upper(), path) for path, method, _operation in operations(spec)}
    assert documented == registered, (
        f"documented only: {sorted(documented - registered)}; registered only: {sorted(registered - documented)}")
