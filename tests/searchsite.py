"""A synthetic site of a few thousand packages, big enough to spread search over many shards."""

from __future__ import annotations

import dataclasses
import random

from regsite.assemble import Site

_VOCABULARY = (
    "http json toml yaml async web test mock data frame plot graph net sock stream parse "
    "render cache queue task sched crypt sign hash auth token user admin form field model "
    "orm sql pg redis kafka grpc rest api cli term color log trace metric prom bench fuzz "
    "lint type check doc site static page blog wiki mark down up load file path glob zip "
    "tar gz image pix font audio video codec geo map time date zone cron retry back off "
    "pool conn lock sync flow pipe batch job work flask django fast starlette numpy pandas "
    "σοφός café naïve straße 漢字 データ"
)
WORDS = _VOCABULARY.split()


def synthetic_site(base: Site, count: int, seed: int = 7) -> Site:
    """``count`` packages cloned from one of ``base``'s, with generated names and text."""
    rng = random.Random(seed)
    template = next(iter(base.packages.values()))
    packages = dict(base.packages)
    dependents: dict[str, tuple[str, ...]] = dict(base.dependents)
    ascii_words = [word for word in WORDS if word.isascii()]
    while len(packages) < count + len(base.packages):
        parts = rng.sample(ascii_words, rng.randint(1, 3))
        name = rng.choice(["-", "-", "", "-"]).join(parts) + rng.choice(["", "", "2", "-py"])
        if name in packages:
            continue
        words = rng.choices(WORDS, k=rng.randint(4, 14))
        packages[name] = dataclasses.replace(
            template,
            name=name,
            description=" ".join(words).capitalize() + ".",
            keywords=tuple(rng.sample(WORDS, 3)),
            headings=(),
        )
        users = rng.sample(sorted(packages), min(len(packages), int(rng.paretovariate(1.2))))
        dependents[name] = tuple(sorted(set(users) - {name}))
    return dataclasses.replace(base, packages=dict(sorted(packages.items())), dependents=dependents)
