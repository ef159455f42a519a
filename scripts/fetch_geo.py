"""Fetch the French communes dataset and build the postal-code index used for proximity.

Source: the npm package @etalab/decoupage-administratif (maintained by Etalab /
data.gouv.fr). Its data come from INSEE's Code officiel géographique and La Poste's
base officielle des codes postaux, under the Licence Ouverte 2.0 (code: MIT).
The version and the tarball's sha512 are pinned here, like a lock file entry, so the
data never drift silently; bump both to refresh.

Output: var/geo/postal_index.json (postal code -> communes with département and région)
and var/geo/departements.json. Runs from scripts/setup.sh; does nothing if up to date.
"""
from __future__ import annotations

import base64
import hashlib
import io
import json
import sys
import tarfile
import urllib.request

from bot.paths import VAR

PACKAGE = "@etalab/decoupage-administratif"
VERSION = "6.0.0"
TARBALL = f"https://registry.npmjs.org/{PACKAGE}/-/decoupage-administratif-{VERSION}.tgz"
INTEGRITY = "sha512-XavYsFlbcM/prKr8hNHPKER94IHw/dsxNM4nxjWMYk6PLFACpEedvn/7wK8Baozm0dCYhWWcf+7bcWpA5pmCaQ=="
OUT = VAR / "geo"
# Arrondissements of Paris, Lyon and Marseille carry their own postal codes.
KEPT_TYPES = {"commune-actuelle", "arrondissement-municipal"}


def download() -> bytes:
    with urllib.request.urlopen(TARBALL, timeout=60) as reply:
        data = reply.read()
    digest = "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()
    if digest != INTEGRITY:
        raise SystemExit(f"fetch_geo: integrity mismatch for {TARBALL}")
    return data


def build(tarball: bytes) -> tuple[dict, dict]:
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as archive:
        def load(name: str):
            return json.load(archive.extractfile(f"package/data/{name}"))
        communes, departements, regions = load("communes.json"), load("departements.json"), load("regions.json")
    region_names = {region["code"]: region["nom"] for region in regions}
    deps = {d["code"]: {"name": d["nom"], "region": d["region"], "region_name": region_names.get(d["region"], "")}
            for d in departements}
    index: dict[str, list[list]] = {}
    for commune in communes:
        if commune.get("type") not in KEPT_TYPES or not commune.get("departement"):
            continue
        for code in commune.get("codesPostaux") or []:
            index.setdefault(code, []).append(
                [commune["code"], commune["nom"], commune["departement"], commune.get("population") or 0])
    for entries in index.values():
        entries.sort(key=lambda entry: -entry[3])  # most populated commune first
    return index, deps


def main() -> int:
    stamp = OUT / f".version-{VERSION}"
    if stamp.exists():
        return 0
    OUT.mkdir(parents=True, exist_ok=True)
    try:
        index, deps = build(download())
    except OSError as error:
        print(f"fetch_geo: cannot download {TARBALL}: {error}", file=sys.stderr)
        return 1
    meta = {"source": f"{PACKAGE}@{VERSION}", "licence": "Licence Ouverte 2.0 (data), MIT (code)"}
    (OUT / "postal_index.json").write_text(json.dumps({"meta": meta, "postal_codes": index}, ensure_ascii=False))
    (OUT / "departements.json").write_text(json.dumps({"meta": meta, "departements": deps}, ensure_ascii=False))
    for old in OUT.glob(".version-*"):
        old.unlink()
    stamp.touch()
    print(f"==> Postal-code index built from {PACKAGE}@{VERSION}: {len(index)} postal codes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
