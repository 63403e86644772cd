"""The benchmark figures people read are generated, never typed: both READMEs' results
blocks equal what ``python -m bench report`` makes of bench/results/*.json, and every
ratio is the median of at least three paired repeats with its spread."""

from __future__ import annotations

import pytest

from bench.harness import Result, read_results
from bench.report import PROJECT_README, README, bench_block, current_block, project_block

RESULTS = README.parent / "results"


def test_the_project_readme_table_is_generated_from_the_json() -> None:
    assert current_block(PROJECT_README) == project_block(read_results(RESULTS)), (
        "README.md's benchmark block drifted from bench/results/*.json: run `python -m bench report`"
    )


def test_the_bench_readme_table_is_generated_from_the_json() -> None:
    assert current_block(README) == bench_block(read_results(RESULTS), RESULTS), (
        "bench/README.md's results block drifted from bench/results/*.json: run `python -m bench report`"
    )


def test_a_ratio_is_the_median_of_paired_repeats_with_its_spread() -> None:
    result = Result("s")
    median = result.ratio("r", [2.0, 9.0, 3.0], [1.0, 3.0, 1.0], 2.5, "higher")
    assert median == 3.0
    (entry,) = result.ratios
    assert (entry["ratio"], entry["min"], entry["max"], entry["repeats"], entry["met"]) == (
        3.0,
        2.0,
        3.0,
        3,
        True,
    )


def test_a_ratio_of_fewer_than_three_repeats_is_refused() -> None:
    with pytest.raises(ValueError, match="3\\+ paired repeats"):
        Result("s").ratio("r", [1.0, 2.0], [1.0, 1.0], None, "lower")


def test_a_deterministic_figure_is_recorded_as_exact() -> None:
    result = Result("s")
    assert result.ratio("ndcg floor", 0.9, 1.0, 0.8, "higher") == 0.9
    assert result.ratios[0]["exact"] is True and result.ratios[0]["repeats"] == 1
