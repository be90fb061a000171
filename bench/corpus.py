"""A reproducible, PyPI-like registry of N packages for benchmarks.

Content generation (names, descriptions, READMEs, releases, the dependency graph) produces plain
``PackageSpec`` records; :func:`make_site` turns them into the in-memory :class:`Site` model.
Nothing is signed: sources are empty, which search does not read.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache

from packaging.version import Version

from regsite.assemble import Site, assemble_site
from regsite.keys import PublicKey
from regsite.model import (
    Artifact,
    Delegation,
    Dependency,
    Owner,
    Package,
    PackageStatus,
    Readme,
    Registry,
    Release,
    ReleaseStatus,
    SourceFile,
)
from regsite.names import name_problem
from regsite.summary import summarize
from regsite.versions import PEP440, Specifier

__all__ = [
    "OwnerSpec",
    "PackageSpec",
    "ReleaseSpec",
    "Vocabulary",
    "make_model",
    "make_site",
    "make_specs",
]


def _words(text: str) -> tuple[str, ...]:
    """Words separated by white space; ``_`` stands for a space inside one."""
    return tuple(word.replace("_", " ") for word in text.split())


# Common words of package names, keywords and descriptions, most frequent first.
TECH_WORDS = _words(
    """
py http json api async client server cli test web data db sql cache auth log config yaml toml
core kit lib sdk plugin tools django flask pytest numpy pandas aws s3 cloud redis docker git
parser types schema rest grpc rpc graphql socket stream queue worker task jobs cron time date
image pdf plot chart math stats ml nlp text string regex file fs path io net dns ssh mail email
bot chat ui gui tui term color oauth2 jwt crypto hash uuid url mime zip tar gzip base64 unicode
xml csv html css markdown lint format diff merge sync backup deploy build bundle env secrets vault
retry rate pool proxy http2 tls ssl x509 cert metrics trace monitor health admin dashboard form
model serializer validator mock fake fixture bench profile debug docs template render static site
blog cms wiki shop cart pay calendar event signal hooks router middleware session cookie cors user
account role ldap saml sso openid geo map audio video midi game 3d gpu cuda tensor torch vision
ocr search index kafka celery mongo postgres mysql sqlite slack discord stripe github k8s kube
i18n locale ext adapter driver backend engine framework toolkit bindings wrapper helpers
"""
)

ENGLISH_WORDS = _words(
    """
for the a and with to of in your simple fast library tool from small lightweight python using
on support easy modern minimal client data typed pure based framework collection set of tiny
robust interface flexible toolkit extensible implementation wrapper bindings helpers generator
manage read write parse build run handle convert create generate validate render serve send
store load query check track files objects records documents messages events tasks streams
tables values keys strings numbers dates errors logs users projects applications services apps
scripts commands settings options templates models portable powerful reliable secure efficient
friendly without over into any all other more via like across multiple custom common standard
high level low performance zero dependencies configurable async sync declarative functional
"""
)

HEADINGS = _words(
    """
Installation Usage Quick_start Configuration Examples API_reference Features Options Testing
Development Contributing Changelog License FAQ Performance Compatibility Motivation Design
Limitations Related_projects Acknowledgements Troubleshooting Security Roadmap Deployment
Getting_started Command-line_interface Advanced_usage Error_handling Logging
"""
)

LICENSES = ("MIT", "Apache-2.0", "BSD-3-Clause", "MPL-2.0", "GPL-3.0-or-later", "ISC")
_ONSETS = _words("b bl br c ch cl cr d dr f fl fr g gl gr h j k l m n p pl pr qu r s sh sk sl")
_ONSETS += _words("sn sp st t th tr v w z")
_VOWELS = _words("a e i o u a e i o ai ea ee oo ou y")
_CODAS = ["", "", "", "", "n", "r", "l", "s", "t", "m", "x", "nd", "nt", "rk", "st", "ng", "ck"]
_EPOCH = datetime(2018, 1, 1, tzinfo=UTC)
_STREAM_WORDS = 1 << 20


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """Words to draw from, each list with cumulative weights for ``random.choices``."""

    made_up: tuple[str, ...]
    name_words: tuple[str, ...]
    name_weights: tuple[float, ...]
    text_stream: tuple[str, ...]  # text words drawn in advance: a slice is a random phrase
    keyword_words: tuple[str, ...]
    keyword_weights: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class ReleaseSpec:
    version: str
    published: datetime
    requires: tuple[tuple[str, str], ...]  # (package, specifier text); "" means any version
    yanked: bool
    size: int
    sha256: str


@dataclass(frozen=True, slots=True)
class PackageSpec:
    name: str
    description: str
    keywords: tuple[str, ...]
    readme: str
    license: str
    owners: tuple[str, ...]
    deprecated: bool
    releases: tuple[ReleaseSpec, ...]  # oldest first


@dataclass(frozen=True, slots=True)
class OwnerSpec:
    id: str
    name: str


# Content generation


def made_up_words(rng: random.Random, count: int, taken: set[str]) -> list[str]:
    """``count`` distinct pronounceable words of 3-10 letters, none of them in ``taken``."""
    words: list[str] = []
    seen = set(taken)
    while len(words) < count:
        syllables = rng.choices((1, 2, 3), weights=(2, 6, 2))[0]
        word = "".join(rng.choice(_ONSETS) + rng.choice(_VOWELS) for _ in range(syllables))
        word += rng.choice(_CODAS)
        if 3 <= len(word) <= 10 and word not in seen and name_problem(word) is None:
            seen.add(word)
            words.append(word)
    return words


Group = tuple[Sequence[str], float, float]  # words, share of all draws, Zipf exponent


def _weighted(groups: Sequence[Group]) -> tuple[list[str], list[float]]:
    """Words and cumulative weights: each group gets ``share`` of the mass, Zipf within it."""
    words: list[str] = []
    cumulative: list[float] = []
    total = 0.0
    for group, share, exponent in groups:
        ranks = [1 / (rank + 1) ** exponent for rank in range(len(group))]
        scale = share / sum(ranks)
        for word, weight in zip(group, ranks, strict=True):
            total += weight * scale
            words.append(word)
            cumulative.append(total)
    return words, cumulative


def make_vocabulary(rng: random.Random, made_up_count: int = 4000) -> Vocabulary:
    tech = list(dict.fromkeys(TECH_WORDS))
    english = list(dict.fromkeys(ENGLISH_WORDS))
    made_up = made_up_words(rng, made_up_count, set(tech) | set(english))
    names = _weighted([(tech, 0.35, 0.8), (made_up, 0.65, 0.5)])
    text = _weighted([(english, 0.6, 1.0), (tech, 0.3, 0.8), (made_up, 0.1, 0.5)])
    keywords = _weighted([(tech, 0.75, 0.8), (english[20:], 0.15, 1.0), (made_up, 0.1, 0.5)])
    return Vocabulary(
        made_up=tuple(made_up),
        name_words=tuple(names[0]),
        name_weights=tuple(names[1]),
        text_stream=tuple(rng.choices(text[0], cum_weights=text[1], k=_STREAM_WORDS)),
        keyword_words=tuple(keywords[0]),
        keyword_weights=tuple(keywords[1]),
    )


def package_names(rng: random.Random, vocabulary: Vocabulary, count: int) -> list[str]:
    """``count`` distinct valid names of 1-3 words joined by ``-``, in creation order."""
    names: list[str] = []
    seen: set[str] = set()
    while len(names) < count:
        size = rng.choices((1, 2, 3), weights=(35, 45, 20))[0]
        words = rng.choices(vocabulary.name_words, cum_weights=vocabulary.name_weights, k=size)
        if rng.random() < 0.05:
            words[-1] += str(rng.randint(2, 3))
        name = "-".join(words)
        if name not in seen and len(set(words)) == size and name_problem(name) is None:
            seen.add(name)
            names.append(name)
    return names


def text_words(rng: random.Random, vocabulary: Vocabulary, count: int) -> list[str]:
    """``count`` words of running text (a random slice of the pre-drawn stream: fast)."""
    start = rng.randrange(len(vocabulary.text_stream) - count)
    return list(vocabulary.text_stream[start : start + count])


def sentence(rng: random.Random, vocabulary: Vocabulary, low: int, high: int) -> str:
    return " ".join(text_words(rng, vocabulary, rng.randint(low, high))).capitalize() + "."


def description(rng: random.Random, vocabulary: Vocabulary, name: str) -> str:
    """6-20 words; often one of the package name's own words among them."""
    words = text_words(rng, vocabulary, rng.randint(6, 20))
    if rng.random() < 0.4:
        words[rng.randrange(len(words))] = rng.choice(name.split("-"))
    return " ".join(words).capitalize() + "."


def keywords(rng: random.Random, vocabulary: Vocabulary) -> tuple[str, ...]:
    """2-5 distinct keywords."""
    wanted = rng.randint(2, 5)
    found: dict[str, None] = {}
    while len(found) < wanted:
        word = rng.choices(vocabulary.keyword_words, cum_weights=vocabulary.keyword_weights)[0]
        found[word] = None
    return tuple(found)


def readme(rng: random.Random, vocabulary: Vocabulary, name: str, summary: str) -> str:
    """A Markdown README of about 1-4 KB with 3-8 headings (the title counts as one)."""
    sections = rng.randint(3, 8) - 1
    target = rng.randint(1000, 4000)
    parts = [f"# {name}\n\n{summary}\n"]
    budget = max(target - len(parts[0]), 0) // sections
    for heading in rng.sample(HEADINGS, sections):
        body = _section_body(rng, vocabulary, name, budget)
        parts.append(f"## {heading}\n\n{body}")
    return "\n".join(parts)


def _section_body(rng: random.Random, vocabulary: Vocabulary, name: str, budget: int) -> str:
    paragraphs: list[str] = []
    size = 0
    while size + 80 < budget:
        if paragraphs and rng.random() < 0.25:
            block = f"```sh\ntool add {name}\ntool run {name} --{rng.choice(TECH_WORDS)}\n```\n"
        else:
            block = " ".join(sentence(rng, vocabulary, 8, 18) for _ in range(rng.randint(1, 3)))
            block += "\n"
        paragraphs.append(block)
        size += len(block) + 1
    return "\n".join(paragraphs)


def version_numbers(rng: random.Random, count: int) -> list[str]:
    """``count`` increasing versions; the newest is sometimes a pre-release."""
    major, minor, patch = rng.choice(((0, 1, 0), (0, 0, 1), (1, 0, 0)))
    versions = [f"{major}.{minor}.{patch}"]
    while len(versions) < count:
        step = rng.choices(("major", "minor", "patch"), weights=(1, 4, 5))[0]
        if step == "major":
            major, minor, patch = major + 1, 0, 0
        elif step == "minor":
            minor, patch = minor + 1, 0
        else:
            patch += 1
        versions.append(f"{major}.{minor}.{patch}")
    if count > 1 and rng.random() < 0.1:
        versions[-1] += rng.choice(("a1", "b2", "rc1"))
    return versions


def dependency_lists(rng: random.Random, count: int) -> list[list[int]]:
    """For each package in creation order, 0-4 earlier packages it depends on.

    A package is picked in proportion to a Pareto-distributed appeal, so, as in real registries,
    a few packages gather thousands of dependents and most gather none.
    """
    appeal: list[float] = []
    total = 0.0
    cumulative: list[float] = []
    found: list[list[int]] = []
    for index in range(count):
        wanted = min(rng.choices((0, 1, 2, 3, 4), weights=(30, 25, 20, 15, 10))[0], index)
        chosen: dict[int, None] = {}
        while len(chosen) < wanted:
            chosen[_bisect(cumulative, rng.random() * total)] = None
        found.append(list(chosen))
        appeal.append(rng.paretovariate(1.1))
        total += appeal[-1]
        cumulative.append(total)
    return found


def _bisect(cumulative: list[float], value: float) -> int:
    low, high = 0, len(cumulative) - 1
    while low < high:
        middle = (low + high) // 2
        if cumulative[middle] < value:
            low = middle + 1
        else:
            high = middle
    return low


def satisfiable_specifier(rng: random.Random, versions: Sequence[str]) -> str:
    """A specifier met by at least one of ``versions`` (their first is never a pre-release)."""
    final = [version for version in versions if not Version(version).is_prerelease]
    version = rng.choice(final)
    major, minor = version.split(".")[:2]
    return rng.choice((f">={version}", f">={version},<{int(major) + 1}", f"~={major}.{minor}", ""))


def releases(
    rng: random.Random,
    name: str,
    requires: Sequence[tuple[str, Sequence[str]]],
    updated_by: datetime,
    count: int | None = None,
) -> tuple[ReleaseSpec, ...]:
    """``count`` releases (default 1-5); the newest requires every dependency, older ones
    sometimes one fewer."""
    if count is None:
        count = rng.choices((1, 2, 3, 4, 5), weights=(30, 25, 20, 15, 10))[0]
    published = _EPOCH + timedelta(days=rng.randrange(6 * 365), seconds=rng.randrange(86400))
    found = []
    for position, version in enumerate(version_numbers(rng, count)):
        newest = position == count - 1
        dropped = requires[:-1] if not newest and rng.random() < 0.3 else requires
        found.append(
            ReleaseSpec(
                version=version,
                published=min(published, updated_by),
                requires=tuple(
                    (dep, satisfiable_specifier(rng, versions)) for dep, versions in dropped
                ),
                yanked=not newest and rng.random() < 0.03,
                size=rng.randint(5_000, 2_000_000),
                sha256=f"{rng.getrandbits(256):064x}",
            )
        )
        published += timedelta(days=rng.randint(7, 300), seconds=rng.randrange(86400))
    return tuple(found)


def make_owners(rng: random.Random, vocabulary: Vocabulary, count: int) -> list[OwnerSpec]:
    words = vocabulary.made_up
    return [
        OwnerSpec(id=f"{rng.choice(words)}{index}", name=f"{rng.choice(words).title()} Example")
        for index in range(count)
    ]


def make_specs(
    n: int, seed: int = 1, releases_each: int | None = None
) -> tuple[list[OwnerSpec], list[PackageSpec]]:
    """The owners and ``n`` packages of a registry, in creation order (dependencies first).

    Each package has ``releases_each`` releases, or 1-5 when it is None.
    """
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not cryptography
    vocabulary = make_vocabulary(rng)
    owners = make_owners(rng, vocabulary, max(3, n // 25))
    names = package_names(rng, vocabulary, n)
    graph = dependency_lists(rng, n)
    updated_by = _EPOCH + timedelta(days=8 * 365)
    specs: list[PackageSpec] = []
    for name, depends in zip(names, graph, strict=True):
        summary = description(rng, vocabulary, name)
        specs.append(
            PackageSpec(
                name=name,
                description=summary,
                keywords=keywords(rng, vocabulary),
                readme=readme(rng, vocabulary, name, summary),
                license=rng.choice(LICENSES),
                owners=tuple(owner.id for owner in rng.sample(owners, rng.choice((1, 1, 1, 2)))),
                deprecated=rng.random() < 0.02,
                releases=releases(
                    rng,
                    name,
                    [(names[dep], [r.version for r in specs[dep].releases]) for dep in depends],
                    updated_by,
                    releases_each,
                ),
            )
        )
    return owners, specs


# Site assembly


def make_site(n: int, seed: int = 1, releases_each: int | None = None) -> Site:
    """A :class:`Site` of ``n`` generated packages, sorted by name, with its dependents."""
    return make_model(n, seed, releases_each)[0]


def make_model(
    n: int, seed: int = 1, releases_each: int | None = None
) -> tuple[Site, dict[str, Package]]:
    """The site and every package's full record."""
    owners, specs = make_specs(n, seed, releases_each)
    packages = {spec.name: _package(spec) for spec in sorted(specs, key=lambda s: s.name)}
    summarized = {name: summarize(package, b"") for name, package in packages.items()}
    summaries = {name: parts[0] for name, parts in summarized.items()}
    details = {name: parts[1] for name, parts in summarized.items()}
    site = assemble_site(
        _registry(owners, specs), summaries, None, lambda summary: details[summary.name]
    )
    return site, packages


def _registry(owners: Sequence[OwnerSpec], specs: Sequence[PackageSpec]) -> Registry:
    return Registry(
        name="bench",
        title="Benchmark Registry",
        description="A generated registry for benchmarks.",
        base_url="https://registry.example.org/",
        install="tool add {name}@{version}",
        root_keys=(_key("root"),),
        root_threshold=1,
        owners={
            owner.id: Owner(id=owner.id, name=owner.name, url=None, keys=(_key(owner.id),))
            for owner in owners
        },
        delegations={
            spec.name: Delegation(package=spec.name, owners=spec.owners, threshold=1)
            for spec in specs
        },
        source=_empty_source("registry.toml"),
    )


def _key(label: str) -> PublicKey:
    """Fixed bytes standing in for a key: nothing is signed or verified here."""
    return PublicKey(hashlib.sha256(f"bench key: {label}".encode()).digest())


def _empty_source(path: str) -> SourceFile:
    return SourceFile(path=path, content=b"", signature_content=None, verification=None)


def _package(spec: PackageSpec) -> Package:
    content = spec.readme.encode()
    digest = hashlib.sha256(content).hexdigest()
    return Package(
        name=spec.name,
        description=spec.description,
        license=spec.license,
        keywords=spec.keywords,
        homepage=f"https://example.org/{spec.name}",
        repository=f"https://example.org/git/{spec.name}",
        documentation=None,
        readme=Readme(file="README.md", sha256=digest, content=content),
        status=PackageStatus.DEPRECATED if spec.deprecated else PackageStatus.ACTIVE,
        status_reason="No longer maintained." if spec.deprecated else None,
        releases=tuple(_release(spec.name, release) for release in reversed(spec.releases)),
        source=_empty_source(f"packages/{spec.name}/package.toml"),
    )


def _release(name: str, spec: ReleaseSpec) -> Release:
    filename = f"{name}-{spec.version}.tar.gz"
    return Release(
        version=Version(spec.version),
        published=spec.published,
        requires=tuple(
            Dependency(name=dep, specifier=_specifier(text)) for dep, text in spec.requires
        ),
        artifacts=(
            Artifact(
                url=f"https://files.example.org/{name}/{filename}",
                sha256=spec.sha256,
                size=spec.size,
            ),
        ),
        status=ReleaseStatus.YANKED if spec.yanked else ReleaseStatus.ACTIVE,
        status_reason="Broken build." if spec.yanked else None,
    )


@cache
def _specifier(text: str) -> Specifier:
    return PEP440.parse_specifier(text)
