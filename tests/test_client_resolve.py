"""regsite.client: requirement parsing, resolution, the lockfile and artifact downloads."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import tomlkit
from packaging.version import Version

from regsite.client.download import ArtifactError, artifact_filename, download_artifacts
from regsite.client.lockfile import (
    Lock,
    LockedArtifact,
    LockedPackage,
    LockfileError,
    dump_lock,
    lock_from_resolution,
    read_lock,
    write_lock,
)
from regsite.client.resolve import (
    Requirement,
    ResolutionError,
    parse_requirement,
    resolve,
)
from regsite.fetch import NotFoundError, TooLargeError
from regsite.model import (
    Artifact,
    Dependency,
    Package,
    PackageStatus,
    Release,
    ReleaseStatus,
    SourceFile,
)
from regsite.versions import PEP440

# Building packages


def release(
    version: str,
    requires: dict[str, str] | None = None,
    status: ReleaseStatus = ReleaseStatus.ACTIVE,
    name: str = "pkg",
) -> Release:
    content = f"{name}-{version}".encode()
    return Release(
        version=Version(version),
        published=datetime(2026, 1, 1, tzinfo=UTC),
        requires=tuple(
            Dependency(name=dep, specifier=PEP440.parse_specifier(spec))
            for dep, spec in (requires or {}).items()
        ),
        artifacts=(
            Artifact(
                url=f"https://files.example.org/{name}/{name}-{version}.tar.gz",
                sha256=hashlib.sha256(content).hexdigest(),
                size=len(content),
            ),
        ),
        status=status,
        status_reason=None,
    )


def package(name: str, *releases: Release) -> Package:
    return Package(
        name=name,
        description=f"The {name} package.",
        license=None,
        keywords=(),
        homepage=None,
        repository=None,
        documentation=None,
        readme=None,
        status=PackageStatus.ACTIVE,
        status_reason=None,
        releases=tuple(sorted(releases, key=lambda r: r.version, reverse=True)),
        source=SourceFile(
            path=f"packages/{name}/package.toml",
            content=b"",
            signature_content=None,
            verification=None,
        ),
    )


def index(**packages: list[str | tuple[str, dict[str, str]] | Release]) -> dict[str, Package]:
    """``alpha=["1.0", ("2.0", {"beta": ">=1"})]`` -> {"alpha": Package(...)}."""
    built = {}
    for name, entries in packages.items():
        releases = []
        for entry in entries:
            if isinstance(entry, Release):
                releases.append(entry)
            elif isinstance(entry, tuple):
                releases.append(release(entry[0], entry[1], name=name))
            else:
                releases.append(release(entry, name=name))
        built[name] = package(name, *releases)
    return built


def chosen(requirements: list[str], packages: dict[str, Package]) -> dict[str, str]:
    resolved = resolve(
        [parse_requirement(text, PEP440) for text in requirements], packages.__getitem__, PEP440
    )
    return {name: str(release.version) for name, release in resolved.items()}


def resolution_error(requirements: list[str], packages: dict[str, Package]) -> str:
    with pytest.raises(ResolutionError) as caught:
        chosen(requirements, packages)
    return str(caught.value)


# parse_requirement


@pytest.mark.parametrize(
    ("text", "name", "specifier"),
    [
        ("alpha", "alpha", ""),
        ("Alpha_Beta.Gamma>=1.0,<2", "alpha-beta-gamma", "<2,>=1.0"),
        ("alpha == 1.2.0", "alpha", "==1.2.0"),
        ("alpha (>=1)", "alpha", ">=1"),
    ],
)
def test_parse_requirement(text: str, name: str, specifier: str) -> None:
    assert parse_requirement(text, PEP440) == Requirement(
        name=name, specifier=PEP440.parse_specifier(specifier)
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("alpha[fast!]", "expected an extra's normalised name"),
        ("alpha; python_version > '3'", "markers are not supported"),
        ("alpha @ https://example.org/a.tar.gz", "URLs are not supported"),
        ("alpha>=>1", "invalid requirement 'alpha>=>1'"),
        ("", "invalid requirement ''"),
        ("con", "reserved by Windows"),
        ("a" * 65, "at most 64 are allowed"),
    ],
)
def test_parse_requirement_rejects(text: str, message: str) -> None:
    with pytest.raises(ResolutionError, match=message):
        parse_requirement(text, PEP440)


def test_requirement_prints_as_written_back() -> None:
    assert str(parse_requirement("Alpha <2, >=1", PEP440)) == "alpha<2,>=1"


# resolve


def test_newest_release_is_chosen() -> None:
    assert chosen(["alpha"], index(alpha=["1.0", "1.10", "1.9"])) == {"alpha": "1.10"}


def test_specifier_limits_the_choice() -> None:
    assert chosen(["alpha<1.9"], index(alpha=["1.0", "1.10", "1.9"])) == {"alpha": "1.0"}


def test_transitive_dependencies_are_resolved_and_sorted_by_name() -> None:
    packages = index(
        zeta=[("1.0", {"beta": ">=1"})],
        beta=[("1.0", {"alpha": "<2"}), ("2.0", {"alpha": ">=2"})],
        alpha=["1.0", "2.0", "3.0"],
    )
    result = chosen(["zeta"], packages)
    assert result == {"alpha": "3.0", "beta": "2.0", "zeta": "1.0"}
    assert list(result) == ["alpha", "beta", "zeta"]


def test_dependency_names_are_normalised() -> None:
    packages = index(beta=[("1.0", {"Alpha_Lib": ">=1"})], **{"alpha-lib": ["1.0"]})
    assert chosen(["beta"], packages) == {"alpha-lib": "1.0", "beta": "1.0"}


def test_backtracks_to_an_older_release_to_avoid_a_conflict() -> None:
    packages = index(
        beta=[("1.0", {"alpha": "<2"}), ("2.0", {"alpha": ">=3"})],
        alpha=["1.0", "2.0"],
    )
    assert chosen(["beta", "alpha"], packages) == {"alpha": "1.0", "beta": "1.0"}


def test_conflict_lists_the_requirement_chain() -> None:
    packages = index(
        app=[("1.0", {"beta": ">=1"})],
        beta=[("1.0", {"alpha": "<2"})],
        alpha=["1.0", "2.0"],
    )
    assert resolution_error(["app", "alpha>=2"], packages) == (
        "cannot find versions that satisfy every requirement:\n"
        "  alpha<2 (required by beta 1.0 <- app 1.0 <- your requirements)\n"
        "  alpha>=2 (required by your requirements)\n"
        "  alpha has versions 2.0, 1.0"
    )


def test_no_matching_version_lists_the_versions() -> None:
    message = resolution_error(["alpha>=50"], index(alpha=[str(n) for n in range(1, 13)]))
    assert message == (
        "cannot find versions that satisfy every requirement:\n"
        "  alpha>=50 (required by your requirements)\n"
        "  alpha has versions 12, 11, 10, 9, 8, 7, 6, 5, 4, 3 and 2 older"
    )


def test_missing_root_package() -> None:
    message = resolution_error(["nothere"], index(alpha=["1.0"]))
    assert message == "no package named 'nothere' (required by your requirements)"


def test_missing_dependency_names_who_requires_it() -> None:
    packages = index(app=[("1.0", {"beta": ">=1"})], beta=[("1.0", {"ghost": ""})])
    message = resolution_error(["app"], packages)
    assert (
        message == "no package named 'ghost' (required by beta 1.0 <- app 1.0 <- your requirements)"
    )


def test_missing_dependency_of_a_newer_release_backtracks() -> None:
    packages = index(beta=["1.0", ("2.0", {"ghost": ""})])
    assert chosen(["beta"], packages) == {"beta": "1.0"}


YANKED = ReleaseStatus.YANKED


def yanked_index() -> dict[str, Package]:
    return index(
        alpha=[
            release("1.0.0", name="alpha"),
            release("1.2.0", status=YANKED, name="alpha"),
            release("1.1.0", status=ReleaseStatus.DEPRECATED, name="alpha"),
        ]
    )


def test_yanked_release_is_excluded() -> None:
    assert chosen(["alpha"], yanked_index()) == {"alpha": "1.1.0"}


def test_yanked_release_is_not_chosen_by_a_range_and_the_message_says_how_to_pin_it() -> None:
    message = resolution_error(["alpha>=1.2"], yanked_index())
    assert message.splitlines()[-1] == (
        "  alpha has versions 1.1.0, 1.0.0; yanked: 1.2.0 (a requirement that pins one exactly,"
        " like 'alpha==1.2.0', selects it)"
    )


def test_all_yanked_suggests_pinning() -> None:
    packages = index(
        alpha=[release(v, status=YANKED, name="alpha") for v in ("1.0.0", "1.1.0")],
        app=[("1.0", {"alpha": ">=1"})],
    )
    assert resolution_error(["app"], packages) == (
        "cannot find versions that satisfy every requirement:\n"
        "  alpha>=1 (required by app 1.0 <- your requirements)\n"
        "  every release of alpha is yanked (1.1.0, 1.0.0); a requirement that pins one exactly,"
        " like 'alpha==1.1.0', selects it"
    )
    assert chosen(["app", "alpha==1.0.0"], packages) == {"alpha": "1.0.0", "app": "1.0"}


@pytest.mark.parametrize("pin", ["alpha==1.2.0", "alpha===1.2.0", "alpha==1.2"])
def test_yanked_release_is_allowed_when_pinned(pin: str) -> None:
    assert chosen([pin], yanked_index()) == {"alpha": "1.2.0"}


@pytest.mark.parametrize("requirement", ["alpha==1.2.*", "alpha==1.2.0,>=1"])
def test_yanked_release_needs_an_exact_single_pin(requirement: str) -> None:
    with pytest.raises(ResolutionError):
        chosen([requirement], yanked_index())


def test_yanked_release_pinned_by_a_dependency() -> None:
    packages = {**yanked_index(), **index(app=[("1.0", {"alpha": "==1.2.0"})])}
    assert chosen(["app", "alpha>=1"], packages) == {"alpha": "1.2.0", "app": "1.0"}


@pytest.mark.parametrize(
    ("requirement", "versions", "expected"),
    [
        ("alpha", ["1.0", "2.0b1"], "1.0"),
        ("alpha", ["2.0b1", "2.0rc1"], "2.0rc1"),
        ("alpha>=2.0b1", ["1.0", "2.0b1"], "2.0b1"),
        ("alpha==2.0b1", ["1.0", "2.0b1", "2.0"], "2.0b1"),
        ("alpha>=1.5", ["1.0", "2.0b1"], "2.0b1"),
    ],
)
def test_pre_releases_follow_packagings_rules(
    requirement: str, versions: list[str], expected: str
) -> None:
    assert chosen([requirement], index(alpha=versions)) == {"alpha": expected}


def test_get_package_is_asked_once_per_name() -> None:
    packages = index(app=[("1.0", {"alpha": ""}), ("2.0", {"alpha": ""})], alpha=["1.0"])
    asked: list[str] = []

    def get_package(name: str) -> Package:
        asked.append(name)
        return packages[name]

    resolve([parse_requirement("app", PEP440)], get_package, PEP440)
    assert sorted(asked) == ["alpha", "app"]


# The lockfile

SHA_A = "a" * 64
SHA_B = "b" * 64


def sample_lock() -> Lock:
    return Lock(
        registry="https://registry.example.org/",
        requirements=("beta>=1", "alpha"),
        packages=(
            LockedPackage(
                name="beta",
                version=Version("1.0"),
                artifacts=(
                    LockedArtifact(url="https://f.example.org/b.tgz", sha256=SHA_B, size=7),
                ),
            ),
            LockedPackage(
                name="alpha",
                version=Version("2.0rc1"),
                artifacts=(
                    LockedArtifact(url="https://f.example.org/a.tgz", sha256=SHA_A, size=0),
                    LockedArtifact(url="https://f.example.org/a.zip", sha256=SHA_B, size=12),
                ),
            ),
        ),
    )


EXPECTED_LOCK = f"""\
# regsite lockfile; regenerate with 'regsite client lock'
lock-version = 1
registry = "https://registry.example.org/"
requirements = [
    "beta>=1",
    "alpha",
]

[[package]]
name = "alpha"
version = "2.0rc1"

[[package.artifact]]
url = "https://f.example.org/a.tgz"
sha256 = "{SHA_A}"
size = 0

[[package.artifact]]
url = "https://f.example.org/a.zip"
sha256 = "{SHA_B}"
size = 12

[[package]]
name = "beta"
version = "1.0"

[[package.artifact]]
url = "https://f.example.org/b.tgz"
sha256 = "{SHA_B}"
size = 7
"""


def test_dump_lock_is_deterministic_and_sorted() -> None:
    data = dump_lock(sample_lock())
    assert data.decode() == EXPECTED_LOCK
    shuffled = replace(sample_lock(), packages=sample_lock().packages[::-1])
    assert dump_lock(shuffled) == data


def test_lock_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "regsite.lock"
    path.write_bytes(dump_lock(sample_lock()))
    lock = read_lock(path)
    assert lock == replace(sample_lock(), packages=sample_lock().packages[::-1])
    assert dump_lock(lock) == path.read_bytes()


def test_lock_resolved_from_a_site_on_disk_reads_back(tmp_path: Path) -> None:
    path = tmp_path / "regsite.lock"
    local = Lock(registry=(tmp_path / "site").as_uri() + "/", requirements=(), packages=())
    write_lock(path, local)
    assert read_lock(path) == local


def test_empty_lock_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "regsite.lock"
    empty = Lock(registry="https://r.example.org/", requirements=(), packages=())
    path.write_bytes(dump_lock(empty))
    assert read_lock(path) == empty


def test_lock_from_resolution() -> None:
    packages = index(app=[("1.0", {"alpha": ""})], alpha=["1.0", "2.0"])
    requirements = [parse_requirement("App>=1", PEP440)]
    resolved = resolve(requirements, packages.__getitem__, PEP440)
    lock = lock_from_resolution("https://r.example.org/", requirements, resolved)
    assert lock.requirements == ("app>=1",)
    assert [(p.name, str(p.version)) for p in lock.packages] == [("alpha", "2.0"), ("app", "1.0")]
    (artifact,) = packages["alpha"].releases[0].artifacts
    assert lock.packages[0].artifacts == (
        LockedArtifact(url=artifact.url, sha256=artifact.sha256, size=artifact.size),
    )


def lock_document() -> dict[str, Any]:
    return tomlkit.parse(EXPECTED_LOCK).unwrap()


def set_key(document: dict[str, Any], path: str, value: Any) -> None:
    """``set_key(doc, "package.1.artifact.0.size", -1)``; a value of DELETE removes the key."""
    *parents, last = path.split(".")
    target: Any = document
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    key: Any = int(last) if last.isdigit() else last
    if value is DELETE:
        del target[key]
    else:
        target[key] = value


DELETE = object()


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("lock-version", 2, "lock-version: expected 1, found 2"),
        ("lock-version", "1", "lock-version: expected an integer, found str '1'"),
        ("lock-version", DELETE, "lock-version: missing; expected an integer"),
        ("registry", "ftp://r.example.org/", "registry: expected an absolute http(s) URL"),
        ("registry", DELETE, "registry: missing; expected an http(s) or file:// URL"),
        ("requirements", "alpha", "requirements: expected an array of strings"),
        ("requirements", DELETE, "requirements: missing; expected an array of strings"),
        ("requirements", ["alpha[x!]"], "requirements[0]: invalid requirement 'alpha[x!]'"),
        ("package", {"name": "x"}, "package: expected an array of tables"),
        ("package.0.name", "Alpha", "package[0].name: name 'Alpha' is not normalised"),
        ("package.0.name", DELETE, "package[0].name: missing; expected a string"),
        (
            "package.1.name",
            "alpha",
            "package[1].name: 'alpha' is locked twice; first at package[0]",
        ),
        (
            "package.0.version",
            "one",
            "package[0].version: expected a PEP 440 version like 1.0.2, found 'one'",
        ),
        ("package.0.version", 1, "package[0].version: expected a string, found int 1"),
        (
            "package.0.extra",
            1,
            "package[0].extra: unknown key; expected one of: acceptable, artifact, closure, name, upstream, version",
        ),
        (
            "package.1.artifact.0.sha256",
            "A" * 64,
            "package[1].artifact[0].sha256: expected 64 lowercase hex digits",
        ),
        (
            "package.1.artifact.0.sha256",
            "a" * 63,
            "package[1].artifact[0].sha256: expected 64 lowercase hex digits",
        ),
        (
            "package.1.artifact.0.sha256",
            DELETE,
            "package[1].artifact[0].sha256: missing; expected a string",
        ),
        (
            "package.0.artifact.1.size",
            -1,
            "package[0].artifact[1].size: expected an integer from 0 to",
        ),
        (
            "package.0.artifact.1.size",
            True,
            "package[0].artifact[1].size: expected an integer, found a boolean",
        ),
        (
            "package.0.artifact.1.size",
            1.5,
            "package[0].artifact[1].size: expected an integer, found float 1.5",
        ),
        (
            "package.0.artifact.0.url",
            "file:///etc/passwd",
            "package[0].artifact[0].url: expected an absolute http(s) URL",
        ),
        (
            "package.0.artifact.0.url",
            "http://",
            "package[0].artifact[0].url: expected an absolute http(s) URL",
        ),
        ("package.0.artifact.0.mirror", "x", "package[0].artifact[0].mirror: unknown key"),
        (
            "extra",
            True,
            "extra: unknown key; expected one of: lock-version, package, registry, requirements",
        ),
    ],
)
def test_malformed_lock_names_the_key(tmp_path: Path, path: str, value: Any, message: str) -> None:
    document = lock_document()
    set_key(document, path, value)
    lockfile = tmp_path / "regsite.lock"
    lockfile.write_text(tomlkit.dumps(document))
    with pytest.raises(LockfileError) as caught:
        read_lock(lockfile)
    assert f"\n  {lockfile}: {message}" in str(caught.value)


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    document = lock_document()
    set_key(document, "lock-version", 7)
    set_key(document, "package.0.artifact.0.size", -5)
    lockfile = tmp_path / "regsite.lock"
    lockfile.write_text(tomlkit.dumps(document))
    with pytest.raises(LockfileError, match=r"^2 problems in lockfile:\n"):
        read_lock(lockfile)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"lock-version = ", "not a valid TOML lockfile"),
        (b"\xff\xfe", "not a valid TOML lockfile"),
    ],
)
def test_unparseable_lock(tmp_path: Path, content: bytes, message: str) -> None:
    lockfile = tmp_path / "regsite.lock"
    lockfile.write_bytes(content)
    with pytest.raises(LockfileError, match=f"{lockfile}: {message}"):
        read_lock(lockfile)


def test_missing_lock(tmp_path: Path) -> None:
    with pytest.raises(LockfileError, match=r"cannot read lockfile .*nothere\.lock"):
        read_lock(tmp_path / "nothere.lock")


# Downloads


@dataclass
class FakeFetcher:
    """Serves bodies from a dict, with the same max_bytes contract as UrlFetcher."""

    bodies: dict[str, bytes]
    fetched: list[str] = field(default_factory=list)

    def fetch(self, url: str, max_bytes: int) -> bytes:
        self.fetched.append(url)
        if url not in self.bodies:
            raise NotFoundError(url, "HTTP 404 Not Found", status=404)
        body = self.bodies[url]
        if len(body) > max_bytes:
            raise TooLargeError(url, f"larger than the limit of {max_bytes} bytes")
        return body


def one_artifact_lock(url: str, content: bytes) -> Lock:
    artifact = LockedArtifact(
        url=url, sha256=hashlib.sha256(content).hexdigest(), size=len(content)
    )
    return Lock(
        registry="https://r.example.org/",
        requirements=("alpha",),
        packages=(LockedPackage(name="alpha", version=Version("1.0"), artifacts=(artifact,)),),
    )


URL = "https://files.example.org/alpha/alpha-1.0%2Bcpu.tar.gz"
CONTENT = b"the alpha artifact"


def test_download_writes_checked_files(tmp_path: Path) -> None:
    fetcher = FakeFetcher({URL: CONTENT})
    (result,) = download_artifacts(one_artifact_lock(URL, CONTENT), tmp_path / "out", fetcher)
    assert result.path == tmp_path / "out" / "alpha-1.0+cpu.tar.gz"
    assert result.path.read_bytes() == CONTENT
    assert result.status == "downloaded"
    assert (result.package, result.version) == ("alpha", Version("1.0"))
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["alpha-1.0+cpu.tar.gz"]


def test_intact_file_is_not_fetched_again(tmp_path: Path) -> None:
    (tmp_path / "alpha-1.0+cpu.tar.gz").write_bytes(CONTENT)
    fetcher = FakeFetcher({})
    (result,) = download_artifacts(one_artifact_lock(URL, CONTENT), tmp_path, fetcher)
    assert result.already_present
    assert result.status == "already present"
    assert fetcher.fetched == []


def test_damaged_file_is_replaced(tmp_path: Path) -> None:
    (tmp_path / "alpha-1.0+cpu.tar.gz").write_bytes(b"x" * len(CONTENT))
    (result,) = download_artifacts(
        one_artifact_lock(URL, CONTENT), tmp_path, FakeFetcher({URL: CONTENT})
    )
    assert not result.already_present
    assert result.path.read_bytes() == CONTENT


@pytest.mark.parametrize(
    ("served", "message"),
    [
        (b"the alpha artifacT", "expected sha256 [0-9a-f]{64}, found [0-9a-f]{64}"),
        (CONTENT + b"!", "expected 18 bytes, found more"),
        (CONTENT[:-1], "expected 18 bytes, found 17"),
        (b"", "expected 18 bytes, found 0"),
    ],
    ids=["wrong-hash", "too-long", "too-short", "empty"],
)
def test_bad_download_raises_and_leaves_no_file(
    tmp_path: Path, served: bytes, message: str
) -> None:
    with pytest.raises(ArtifactError, match=f"artifact {URL}: {message}"):
        download_artifacts(one_artifact_lock(URL, CONTENT), tmp_path, FakeFetcher({URL: served}))
    assert list(tmp_path.iterdir()) == []


def test_a_failed_download_names_the_release_and_the_url(tmp_path: Path) -> None:
    with pytest.raises(ArtifactError) as caught:
        download_artifacts(one_artifact_lock(URL, CONTENT), tmp_path, FakeFetcher({}))
    assert str(caught.value) == f"cannot download alpha 1.0: cannot fetch {URL}: HTTP 404 Not Found"


@pytest.mark.parametrize(
    "url",
    [
        "https://f.example.org/",
        "https://f.example.org/dir/.",
        "https://f.example.org/dir/..",
        "https://f.example.org/dir/%2E%2E",
        "https://f.example.org/a%2Fb.tar.gz",
        "https://f.example.org/a%5Cb.tar.gz",
        "https://f.example.org/a%00b.tar.gz",
        "https://f.example.org/%2F",
    ],
)
def test_unsafe_file_names_are_refused(tmp_path: Path, url: str) -> None:
    fetcher = FakeFetcher({url: CONTENT})
    with pytest.raises(ArtifactError, match=f"artifact {url}: cannot save it under the name"):
        download_artifacts(one_artifact_lock(url, CONTENT), tmp_path / "out", fetcher)
    assert fetcher.fetched == []
    assert not (tmp_path / "out").exists()


def test_artifact_filename_ignores_query_and_fragment() -> None:
    assert artifact_filename("https://f.example.org/a/b-1.0.tgz?token=x#frag") == "b-1.0.tgz"


def test_two_artifacts_with_one_file_name_are_refused(tmp_path: Path) -> None:
    lock = one_artifact_lock(URL, CONTENT)
    other = LockedArtifact(url=URL.replace("files.", "mirror."), sha256=SHA_A, size=1)
    clash = LockedPackage(name="beta", version=Version("1.0"), artifacts=(other,))
    lock = replace(lock, packages=(*lock.packages, clash))
    with pytest.raises(ArtifactError, match=r"would both be saved as 'alpha-1\.0\+cpu\.tar\.gz'"):
        download_artifacts(lock, tmp_path, FakeFetcher({}))


def test_download_with_the_url_fetcher_over_file_urls(tmp_path: Path) -> None:
    from regsite.fetch import UrlFetcher

    source = tmp_path / "source" / "alpha-1.0.tar.gz"
    source.parent.mkdir()
    source.write_bytes(CONTENT)
    lock = one_artifact_lock(source.as_uri(), CONTENT)
    fetcher = UrlFetcher(same_origin_redirects=False)
    (result,) = download_artifacts(lock, tmp_path / "out", fetcher)
    assert result.path.read_bytes() == CONTENT
