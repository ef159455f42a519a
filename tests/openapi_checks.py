"""Helpers shared by the OpenAPI contract tests (agenda and mobile app)."""


def resolve(document, ref):
    """The node a local `$ref` ("#/components/…") points to; fails on anything else."""
    assert ref.startswith("#/"), f"only local references are expected, got {ref}"
    node = document
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        assert isinstance(node, dict) and part in node, f"unresolved $ref {ref}"
        node = node[part]
    return node


def refs(node):
    """Every `$ref` value inside a document."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from refs(item)
