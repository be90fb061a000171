"""The scale benchmark's figures: medians, issue 14's targets, the Markdown tables and the JSON.

bench/README.md ("Scale") says what each figure means.
"""

from __future__ import annotations

import dataclasses
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from footprint import KINDS, Comparison, Footprint
from measure_child import ChildRun

__all__ = ["PHASES", "TARGETS", "TOOLS", "Results", "Runs", "report_json", "tables", "targets"]

MB = 1000 * 1000
KB = 1000
TOOLS = ("regsite", "dumb-pypi")
PHASES = {  # the phases each tool runs, in order
    "regsite": ("cold", "rebuild", "noop", "ci"),
    "dumb-pypi": ("cold", "rebuild"),
}
CHECKS = {"rebuild": "in place", "ci": "CI phase"}
TARGET_SCALE = 200_000  # packages: the targets at crates.io's scale apply from here on
TARGETS = {  # issue 14
    "cold_ratio": 0.5,
    "change_seconds": 1.0,  # in place, below TARGET_SCALE
    "ci_seconds": 2.0,  # below TARGET_SCALE
    "ci_ratio": 0.2,  # of dumb-pypi's partial rebuild
    "served_ratio": 0.85,
    "cold_seconds_at_scale": 600.0,
    "peak_rss_at_scale": 1500 * MB,
    "change_seconds_at_scale": 10.0,  # in place and in the CI phase
}

Runs = dict[str, dict[str, list[ChildRun]]]  # tool -> phase -> one run per repeat


@dataclass(frozen=True, slots=True)
class Results:
    packages: int
    releases: int
    seed: int
    cores: int
    dumb_pypi_version: str | None  # None: dumb-pypi not run
    regsite_command: list[str]  # the cold build's, as an example
    generation_seconds: float
    restore_seconds: list[float]  # copying the clone, the site and the cache, per CI phase
    runs: Runs
    footprints: dict[str, Footprint]  # tool -> its output after the first cold build
    checks: dict[str, Comparison | None]  # "rebuild", "ci" -> against a cold build; None: not

    def median(self, tool: str, phase: str, figure: str) -> float | None:
        values = [getattr(run, figure) for run in self.runs.get(tool, {}).get(phase, [])]
        values = [value for value in values if value is not None]
        return statistics.median(values) if values else None

    def ratio(self, phase: str, figure: str, theirs_phase: str | None = None) -> float | None:
        """regsite's median over dumb-pypi's (in ``theirs_phase``, default the same phase)."""
        ours = self.median("regsite", phase, figure)
        theirs = self.median("dumb-pypi", theirs_phase or phase, figure)
        return None if ours is None or not theirs else ours / theirs

    def stage_median(self, phase: str, stage: str) -> float | None:
        values = [run.stages[stage] for run in self.runs["regsite"][phase] if stage in run.stages]
        return statistics.median(values) if values else None

    def loads(self) -> list[float]:
        return [run.load for by in self.runs.values() for runs in by.values() for run in runs]


# Targets


@dataclass(frozen=True, slots=True)
class Target:
    name: str
    value: str
    met: bool | None  # None: does not apply at this size, or not measured


def _within(value: float | None, limit: float, applies: bool = True) -> bool | None:
    return None if value is None or not applies else value <= limit


def _shown(value: float | None, form: str) -> str:
    return "not measured" if value is None else form.format(value)


def targets(results: Results) -> list[Target]:
    """Issue 14's targets, each marked met, not met, or n/a at this size."""
    small, large = results.packages < TARGET_SCALE, results.packages >= TARGET_SCALE
    regsite = {phase: results.median("regsite", phase, "seconds") for phase in PHASES["regsite"]}
    peaks = [results.median("regsite", phase, "peak_rss") for phase in ("cold", "rebuild", "ci")]
    peak = max((value for value in peaks if value is not None), default=None)
    cold, ci = results.ratio("cold", "seconds"), results.ratio("ci", "seconds", "rebuild")
    served = _served_ratio(results)
    at = f" (at >= {TARGET_SCALE:,} packages)"
    below = f" (below {TARGET_SCALE:,} packages)"
    return [
        Target("Cold build <= 0.5x dumb-pypi's", _shown(cold, "{:.2f}x"), _within(cold, 0.5)),
        Target(
            "One-package change in place <= 1 s" + below,
            _shown(regsite["rebuild"], "{:.2f} s"),
            _within(regsite["rebuild"], TARGETS["change_seconds"], small),
        ),
        Target(
            "One-package change in the CI phase <= 2 s" + below,
            _shown(regsite["ci"], "{:.2f} s"),
            _within(regsite["ci"], TARGETS["ci_seconds"], small),
        ),
        Target(
            "CI phase <= 0.2x dumb-pypi's partial rebuild",
            _shown(ci, "{:.3f}x"),
            _within(ci, TARGETS["ci_ratio"]),
        ),
        Target(
            "Bytes served (links dereferenced) <= 0.85x dumb-pypi's",
            _shown(served, "{:.2f}x"),
            _within(served, TARGETS["served_ratio"]),
        ),
        Target(
            "Cold build <= 600 s" + at,
            _shown(regsite["cold"], "{:,.1f} s"),
            _within(regsite["cold"], TARGETS["cold_seconds_at_scale"], large),
        ),
        Target(
            "Peak memory, largest process, <= 1.5 GB" + at,
            _shown(None if peak is None else peak / MB, "{:,.0f} MB"),
            _within(peak, TARGETS["peak_rss_at_scale"], large),
        ),
        *_scale_changes(regsite, large, at),
        *(_identical(results.checks.get(phase), label) for phase, label in CHECKS.items()),
    ]


def _scale_changes(regsite: dict[str, float | None], large: bool, at: str) -> list[Target]:
    limit = TARGETS["change_seconds_at_scale"]
    return [
        Target(
            f"One-package change {label} <= 10 s{at}",
            _shown(regsite[phase], "{:.2f} s"),
            _within(regsite[phase], limit, large),
        )
        for phase, label in (("rebuild", "in place"), ("ci", "in the CI phase"))
    ]


def _identical(check: Comparison | None, label: str) -> Target:
    name = f"Incremental == cold, {label}"
    if check is None:
        return Target(name, "not checked", None)
    return Target(name, f"{len(check.differing):,} files differ", not check.differing)


def _served_ratio(results: Results) -> float | None:
    ours, theirs = (results.footprints.get(tool) for tool in TOOLS)
    return None if ours is None or theirs is None else ours.served / theirs.served


# Tables


def _row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    return "\n".join([_row(header), _row(("---",) * len(header)), *map(_row, rows)])


def _number(value: float | None, form: str = "{:,.2f}") -> str:
    return "" if value is None else form.format(value)


def _pair(
    label: str, ours: float | None, theirs: float | None, shown: Callable[[float | None], str]
) -> tuple[str, ...]:
    ratio = "" if ours is None or not theirs else f"{ours / theirs:.2f}"
    return (label, shown(ours), shown(theirs), ratio)


def _megabytes(value: float | None) -> str:
    return _number(None if value is None else value / MB, "{:,.1f}")


def figures_table(results: Results) -> str:
    """Times, memory and bytes, regsite beside dumb-pypi."""

    def both(label: str, phase: str, figure: str, theirs: str | None = None) -> tuple[str, ...]:
        shown = _megabytes if figure.startswith("peak") else _number
        ours = results.median("regsite", phase, figure)
        return _pair(label, ours, results.median("dumb-pypi", theirs or phase, figure), shown)

    rows = [
        both("Cold build (s)", "cold", "seconds"),
        both("One-package change, in place (s)", "rebuild", "seconds"),
        both(
            "One-package change, CI phase (s) / dumb-pypi's partial rebuild",
            "ci",
            "seconds",
            "rebuild",
        ),
        both("No-op rebuild, in place (s)", "noop", "seconds"),
        both("Cold build, CPU (s)", "cold", "cpu_seconds"),
        both("Peak memory, cold, largest process (MB)", "cold", "peak_rss"),
        both("Peak memory, cold, all processes, PSS (MB)", "cold", "peak_pss"),
        both("Peak memory, in place, largest process (MB)", "rebuild", "peak_rss"),
        both("Peak memory, CI phase, largest process (MB)", "ci", "peak_rss", "rebuild"),
    ]
    ours, theirs = (results.footprints.get(tool) for tool in TOOLS)
    for label, figure in (("served", "served"), ("stored", "stored")):
        rows.append(_pair(f"Bytes {label} (MB)", *_of(ours, theirs, figure), _megabytes))
    rows.append(_pair("Files", *_of(ours, theirs, "files"), lambda v: _number(v, "{:,.0f}")))
    return _table(("Figure", "regsite", "dumb-pypi", "ratio"), rows)


def _of(
    ours: Footprint | None, theirs: Footprint | None, figure: str
) -> tuple[float | None, float | None]:
    return tuple(None if tree is None else getattr(tree, figure) for tree in (ours, theirs))  # type: ignore[return-value]


def stages_table(results: Results) -> str:
    """regsite's seconds per stage in each phase (medians), and the packages it rendered."""
    phases = PHASES["regsite"]
    names = list(
        dict.fromkeys(s for p in phases for r in results.runs["regsite"][p] for s in r.stages)
    )
    rows = [
        (name, *(_number(results.stage_median(phase, name)) for phase in phases)) for name in names
    ]
    rows.append(("wall time", *(_number(results.median("regsite", p, "seconds")) for p in phases)))
    rows.append(
        (
            "packages rendered",
            *(_number(results.median("regsite", p, "rendered"), "{:,.0f}") for p in phases),
        )
    )
    return _table(("regsite stage (s)", *phases), rows)


def footprint_table(results: Results) -> str:
    """Files and bytes per package, by kind, for both tools; totals in MB."""
    trees = [(tool, results.footprints[tool]) for tool in TOOLS if tool in results.footprints]
    per = results.packages
    header = ["Kind"]
    for tool, _ in trees:
        header += [f"{tool} files/pkg", f"{tool} KB/pkg served"]
    rows = []
    for kind in KINDS:
        row = [kind]
        for _, tree in trees:
            figures = tree.kinds[kind]
            row += [f"{figures.files / per:.2f}", f"{figures.served / per / KB:.2f}"]
        rows.append(row)
    for label, figure in (("total served", "served"), ("total stored (links once)", "stored")):
        row = [label]
        for _, tree in trees:
            row += [f"{tree.files / per:.2f}", f"{getattr(tree, figure) / per / KB:.2f}"]
        rows.append(row)
    return _table(header, rows)


def targets_table(results: Results) -> str:
    met = {True: "yes", False: "**no**", None: "n/a"}
    rows = [(target.name, target.value, met[target.met]) for target in targets(results)]
    return _table(("Target (issue 14)", "regsite", "Met"), rows)


def check_line(label: str, comparison: Comparison | None) -> str:
    if comparison is None:
        return f"incremental == cold, {label}: not checked"
    aside = f"metadata/ and the build report left out, {comparison.kept:,} replaced copies kept"
    differing = comparison.differing
    if not differing:
        return f"incremental == cold, {label}: yes (0 files differ; {aside})"
    listed = "".join(f"\n  {path}" for path in differing[:10])
    more = f"\n  ... and {len(differing) - 10:,} more" if len(differing) > 10 else ""
    return (
        f"incremental == cold, {label}: no ({len(differing):,} files differ; {aside}){listed}{more}"
    )


def tables(results: Results) -> str:
    """Everything the benchmark prints at its end."""
    loads = results.loads()
    return "\n\n".join(
        [
            "\n".join(
                check_line(label, results.checks.get(phase)) for phase, label in CHECKS.items()
            ),
            f"Medians of {len(results.runs['regsite']['cold'])} run(s); MB = 1,000,000 bytes,"
            f" KB = 1,000 bytes; load average (1 min) at the builds' start:"
            f" {min(loads):.1f} to {max(loads):.1f} on {results.cores} cores.",
            figures_table(results),
            stages_table(results),
            footprint_table(results),
            targets_table(results),
        ]
    )


def report_json(results: Results) -> dict[str, Any]:
    """Every run, median, footprint, check and target."""
    scalars = {
        field.name: getattr(results, field.name)
        for field in dataclasses.fields(results)
        if field.name not in {"runs", "footprints", "checks"}
    }
    return {
        **scalars,
        "runs": {
            tool: {phase: [dataclasses.asdict(run) for run in runs] for phase, runs in by.items()}
            for tool, by in results.runs.items()
        },
        "footprints": {
            tool: {kind: dataclasses.asdict(figures) for kind, figures in tree.kinds.items()}
            for tool, tree in results.footprints.items()
        },
        "checks": {
            phase: None if check is None else dataclasses.asdict(check)
            for phase, check in results.checks.items()
        },
        "targets": [dataclasses.asdict(target) for target in targets(results)],
        "target_limits": TARGETS,
    }
