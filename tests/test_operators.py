"""SYCAM operators on `[I, K]` weight tensors: hand-computed values, protected division, topk ties."""
import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from sycam_sygus.backends.torch_cam.operators import OPERATORS, OperatorError, apply

from sycam_sygus.core import logic

X = torch.tensor([[1.0, -2.0, 3.0], [0.0, 4.0, -1.0]])
Y = torch.tensor([[2.0, 0.0, -1.0], [0.0, 2.0, 1.0]])


def test_every_logic_operator_has_a_tensor_implementation():
    vocabulary = set(logic.ELEMENTWISE) | set(logic.CHANNELWIDE) | set(logic.WITH_NUMERAL)
    vocabulary |= set(logic.COMPARISONS) | set(logic.CONNECTIVES) | {"ite"}
    assert vocabulary <= OPERATORS


def test_arithmetic_is_elementwise_and_nary():
    assert apply("+", [X, Y, Y]).tolist() == [[5.0, -2.0, 1.0], [0.0, 8.0, 1.0]]
    assert apply("-", [X, Y, Y]).tolist() == [[-3.0, -2.0, 5.0], [0.0, 0.0, -3.0]]
    assert apply("-", [X]).tolist() == [[-1.0, 2.0, -3.0], [-0.0, -4.0, 1.0]]
    assert apply("*", [X, Y, Y]).tolist() == [[4.0, 0.0, 3.0], [0.0, 16.0, -1.0]]
    assert apply("abs", [X]).tolist() == [[1.0, 2.0, 3.0], [0.0, 4.0, 1.0]]
    assert apply("relu", [X]).tolist() == [[1.0, 0.0, 3.0], [0.0, 4.0, 0.0]]
    assert apply("pow", [X], 3).tolist() == [[1.0, -8.0, 27.0], [0.0, 64.0, -1.0]]


def test_constants_broadcast():
    assert apply("*", [X, torch.tensor(2.0)]).tolist() == [[2.0, -4.0, 6.0], [0.0, 8.0, -2.0]]
    assert apply("+", [X, 1.0]).tolist() == [[2.0, -1.0, 4.0], [1.0, 5.0, 0.0]]
    per_image = torch.tensor([[4.0], [0.0]])
    assert apply("/", [X, per_image]).tolist() == [[0.25, -0.5, 0.75], [0.0, 0.0, 0.0]]


def test_protected_division_gives_zero_for_zero_divisors():
    assert apply("/", [X, Y]).tolist() == [[0.5, 0.0, -3.0], [0.0, 2.0, -1.0]]
    zero = torch.zeros_like(X)
    assert apply("/", [zero, zero]).tolist() == [[0.0] * 3, [0.0] * 3]
    # (x / y) / y, left to right, stays protected at every step
    assert apply("/", [X, Y, Y]).tolist() == [[0.25, 0.0, 3.0], [0.0, 1.0, -1.0]]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(-1e6, 1e6), st.sampled_from([0.0, 0.0, 1.5, -3.0, 1e-3])), min_size=1, max_size=8))
def test_protected_division_never_gives_nan(pairs):
    numerator = torch.tensor([[a for a, _ in pairs]], dtype=torch.float64)
    denominator = torch.tensor([[b for _, b in pairs]], dtype=torch.float64)
    quotient = apply("/", [numerator, denominator])
    assert torch.isfinite(quotient).all()
    assert (quotient[denominator == 0] == 0).all()
    nonzero = denominator != 0
    assert torch.equal(quotient[nonzero], numerator[nonzero] / denominator[nonzero])


def test_topk_keeps_largest_and_breaks_ties_by_lower_channel():
    row = torch.tensor([[1.0, 3.0, 3.0, 2.0], [5.0, 2.0, 2.0, 2.0]])
    assert apply("topk", [row], 1).tolist() == [[0.0, 3.0, 0.0, 0.0], [5.0, 0.0, 0.0, 0.0]]
    assert apply("topk", [row], 2).tolist() == [[0.0, 3.0, 3.0, 0.0], [5.0, 2.0, 0.0, 0.0]]
    assert apply("topk", [row], 3).tolist() == [[0.0, 3.0, 3.0, 2.0], [5.0, 2.0, 2.0, 0.0]]
    assert torch.equal(apply("topk", [row], 4), row)
    assert torch.equal(apply("topk", [row], 9), row)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(-3, 3), min_size=1, max_size=9), st.integers(1, 10))
def test_topk_property_kept_entries_dominate_dropped_ones(values, n):
    row = torch.tensor([values], dtype=torch.float64)
    kept_positions = apply("topk", [row + 100.0], n) != 0  # shift so no kept entry is 0
    assert int(kept_positions.sum()) == min(n, len(values))
    kept, dropped = row[kept_positions], row[~kept_positions]
    if dropped.numel():
        assert kept.min() >= dropped.max()
        # ties: a dropped entry equal to the smallest kept one comes after every kept one of that value
        smallest = kept.min()
        kept_index = kept_positions[0].nonzero().flatten()[row[0][kept_positions[0]] == smallest]
        dropped_index = (~kept_positions[0]).nonzero().flatten()[row[0][~kept_positions[0]] == smallest]
        if dropped_index.numel():
            assert kept_index.max() < dropped_index.min()


def test_softmax_and_normalize_work_over_channels():
    logits = torch.tensor([[0.0, math.log(3.0)], [1.0, 1.0]])
    assert apply("softmax", [logits]).tolist() == [[pytest.approx(0.25), pytest.approx(0.75)], [0.5, 0.5]]
    rows = torch.tensor([[-4.0, 2.0, 0.0], [0.0, 0.0, 0.0]])
    assert apply("normalize", [rows]).tolist() == [[-1.0, 0.5, 0.0], [0.0, 0.0, 0.0]]


def test_comparisons_connectives_and_ite():
    assert apply(">=", [X, Y]).tolist() == [[False, False, True], [True, True, False]]
    assert apply("<", [X, Y]).tolist() == [[True, True, False], [False, False, True]]
    assert apply("=", [X, torch.tensor(0.0)]).tolist() == [[False, False, False], [True, False, False]]
    positive, small = apply(">", [X, 0.0]), apply("<=", [X, 3.0])
    assert apply("and", [positive, small]).tolist() == [[True, False, True], [False, False, False]]
    assert apply("or", [positive, apply("not", [small])]).tolist() == [[True, False, True], [False, True, False]]
    # the define-fun ReLU of CAM-THEORY §2 equals the built-in one
    relu_macro = apply("ite", [apply(">=", [X, 0.0]), X, torch.tensor(0.0)])
    assert torch.equal(relu_macro, apply("relu", [X]))


def test_bad_requests_raise_operator_errors_with_hints():
    with pytest.raises(OperatorError, match="did you mean 'relu'"):
        apply("reLu", [X])
    with pytest.raises(OperatorError, match="takes 1 argument"):
        apply("abs", [X, Y])
    with pytest.raises(OperatorError, match="numeral >= 1"):
        apply("pow", [X])
    with pytest.raises(OperatorError, match="numeral >= 1"):
        apply("topk", [X], 0)
    with pytest.raises(OperatorError, match="broadcast constants"):
        apply("softmax", [torch.tensor(1.0)])
