"""Model stage for a curator's ``amendments/<name>/amendments.toml`` (docs/curation.md).

The file amends the requirements of one package's releases, never its owners' package.toml.
Each ``[[amendment]]`` names a range of the owner's releases and one narrowing: an upper bound
or an excluded version of a dependency, or a package the releases conflict with.  Whether each
only narrows what the owner allowed is proved in validation, against the versions that exist
(:mod:`regsite.effective`).
"""

from __future__ import annotations

from regsite.errors import ErrorReport
from regsite.fields import Fields, check_format
from regsite.load import LoadedFile
from regsite.model import Amendment, AmendmentKind, Narrowing, PackageAmendments
from regsite.names import name_problem
from regsite.signatures import ThresholdResult
from regsite.versions import Specifier, Version, VersionScheme, VersionSyntaxError

__all__ = ["AMENDMENTS_DIR", "AMENDMENTS_FILE", "MAX_AMENDMENTS", "read_amendments"]

AMENDMENTS_DIR = "amendments"
AMENDMENTS_FILE = "amendments.toml"
MAX_AMENDMENTS = 1000  # per file
_NARROWINGS = tuple(narrowing.value for narrowing in Narrowing)
_KEYS = ("releases", "dependency", *_NARROWINGS, "versions", "kind", "reason", "link", "date")


def read_amendments(
    loaded: LoadedFile,
    package: str,
    verification: ThresholdResult | None,
    report: ErrorReport,
    *,
    scheme: VersionScheme,
) -> PackageAmendments:
    """The file's amendments, its versions and specifiers in the registry's ``scheme``; each one
    with a problem is reported and left out."""
    top = Fields(loaded.document, loaded.path, "", report)
    top.only(["format", "package", "amendment"])
    check_format(top)
    name = top.text("package", max_length=64)
    if name is not None and name != package:
        top.problem("package", f"expected {package!r} (the directory name), found {name!r}")
    tables = top.tables("amendment")
    if not tables and "amendment" not in top.table:
        top.problem(
            "amendment",
            "expected at least one [[amendment]]; to remove the last one, delete the file and"
            " its .sig",
        )
    if len(tables) > MAX_AMENDMENTS:
        top.problem("amendment", f"{len(tables)} amendments; at most {MAX_AMENDMENTS}")
        tables = []
    amendments = (_amendment(table, index, package, scheme) for index, table in enumerate(tables))
    return PackageAmendments(
        package=package,
        amendments=tuple(amendment for amendment in amendments if amendment is not None),
        source=loaded.source_file(verification),
    )


def _amendment(fields: Fields, index: int, package: str, scheme: VersionScheme) -> Amendment | None:
    fields.only(_KEYS)
    releases = _specifier(fields, "releases", scheme, required=True)
    narrowing = _narrowing(fields)
    target, version, versions = None, None, None
    if narrowing is Narrowing.CONFLICT:
        target = _target(fields, "conflict", package)
        versions = _specifier(fields, "versions", scheme, required=False)
        versions = versions or scheme.parse_specifier("*")
        _refuse(fields, "dependency", "a conflict names its package in 'conflict' alone")
    elif narrowing is not None:
        target = _target(fields, "dependency", package)
        version = _version(fields, narrowing.value, scheme)
        _refuse(fields, "versions", "only a conflict takes 'versions'")
    kind = _kind(fields)
    reason = fields.text("reason", max_length=500, one_line=True)
    link, day = fields.url("link"), fields.date("date")
    if (
        releases is None
        or narrowing is None
        or target is None
        or (version is None and versions is None)
        or kind is None
        or reason is None
        or day is None
    ):
        return None
    return Amendment(
        index=index,
        releases=releases,
        narrowing=narrowing,
        target=target,
        version=version,
        versions=versions,
        kind=kind,
        reason=reason,
        link=link,
        date=day,
    )


def _narrowing(fields: Fields) -> Narrowing | None:
    found = [key for key in _NARROWINGS if key in fields.table]
    if len(found) != 1:
        given = ", ".join(found) or "none of them"
        fields.problem(
            "", f"expected exactly one of upper-bound, exclude or conflict; found {given}"
        )
        return None
    return Narrowing(found[0])


def _target(fields: Fields, key: str, package: str) -> str | None:
    name = fields.text(key, max_length=64)
    if name is None:
        return None
    if (problem := name_problem(name)) is not None:
        fields.problem(key, f"package {problem}")
        return None
    if name == package:
        fields.problem(key, f"names {package!r} itself; an amendment narrows another package")
        return None
    return name


def _refuse(fields: Fields, key: str, why: str) -> None:
    if key in fields.table:
        fields.problem(key, f"not allowed here: {why}")


def _kind(fields: Fields) -> AmendmentKind | None:
    text = fields.text("kind", max_length=20)
    if text is None:
        return None
    if text not in AmendmentKind.__members__.values():
        fields.problem("kind", f"expected 'build' or 'runtime', found {text!r}")
        return None
    return AmendmentKind(text)


def _specifier(
    fields: Fields, key: str, scheme: VersionScheme, *, required: bool
) -> Specifier | None:
    text = fields.text(key, required=required, max_length=200)
    if text is None:
        return None
    try:
        return scheme.parse_specifier(text)
    except VersionSyntaxError as error:
        fields.problem(key, str(error))
        return None


def _version(fields: Fields, key: str, scheme: VersionScheme) -> Version | None:
    text = fields.text(key, max_length=64)
    if text is None:
        return None
    try:
        return scheme.parse_version(text)
    except VersionSyntaxError as error:
        fields.problem(key, str(error))
        return None
