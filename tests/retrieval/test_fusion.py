"""Reciprocal rank fusion on toy rankings: the arithmetic and the tie/duplicate rules."""

import pytest

from assistant.retrieval.fusion import reciprocal_rank_fusion


def test_rrf_item_ranked_by_both_beats_top_of_one():
    fused = reciprocal_rank_fusion([["a", "b", "c"], ["b", "d", "a"]], k=60)
    assert [item for item, _ in fused] == ["b", "a", "d", "c"]


def test_rrf_scores_are_sum_of_reciprocal_ranks():
    fused = dict(reciprocal_rank_fusion([["a", "b"], ["b"]], k=10))
    assert fused["a"] == pytest.approx(1 / 11)
    assert fused["b"] == pytest.approx(1 / 12 + 1 / 11)


def test_rrf_ties_keep_first_seen_order():
    fused = reciprocal_rank_fusion([["x", "y"], ["y", "x"]], k=60)
    assert [item for item, _ in fused] == ["x", "y"]


def test_rrf_duplicate_within_one_ranking_counts_once():
    fused = dict(reciprocal_rank_fusion([["a", "a", "b"]], k=1))
    assert fused["a"] == pytest.approx(1 / 2)
    assert fused["b"] == pytest.approx(1 / 4)


def test_rrf_weights_scale_each_ranking():
    fused = reciprocal_rank_fusion([["a"], ["b"]], k=1, weights=[1.0, 3.0])
    assert [item for item, _ in fused] == ["b", "a"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        pytest.param({"k": 0}, "k must be >= 1", id="k-zero"),
        pytest.param({"weights": [1.0]}, "1 weights for 2 rankings", id="weights-mismatch"),
    ],
)
def test_rrf_bad_arguments_raise(kwargs, message):
    with pytest.raises(ValueError, match=message):
        reciprocal_rank_fusion([["a"], ["b"]], **kwargs)


def test_rrf_empty_rankings_give_empty_result():
    assert reciprocal_rank_fusion([[], []]) == []
