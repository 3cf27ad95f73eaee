"""Every metric against hand-computed values on tiny images and "models", the memo, and map keys.

Most tests replace the blurred substrate by a black image (monkeypatched `blur`) so that a
"mean pixel value" classifier makes every probability a sum of a few cell values.
"""
import math

import pytest
import torch
from sycam_sygus.backends.torch_cam.blur import (
    blur,
    blur_sigma,
    gaussian_kernel,
    reflect_indices,
)
from sycam_sygus.backends.torch_cam.cam import cam_maps
from sycam_sygus.backends.torch_cam.metrics import (
    MetricError,
    MetricEvaluator,
    worst_value,
)

from sycam_sygus.core.logic import METRICS

# A 4×6 image (non-square) of 2×3 cells of 2×2 pixels; cell k (row-major) has value (k+1)/10.
CELLS = torch.tensor([[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]])
IMAGE = CELLS.repeat_interleave(2, 0).repeat_interleave(2, 1).expand(1, 3, 4, 6).clone()


class CountingModel:
    """A hand-set classifier `probs(pixels, targets)` that counts calls and images."""

    def __init__(self, probability):
        self.probability = probability
        self.calls = 0
        self.images = 0
        self.seen = []

    def __call__(self, pixels, targets):
        self.calls += 1
        self.images += pixels.shape[0]
        self.seen.append(pixels.clone())
        return self.probability(pixels)


def mean_pixel(pixels):
    return pixels.mean(dim=(1, 2, 3))


@pytest.fixture
def black_substrate(monkeypatch):
    monkeypatch.setattr("sycam_sygus.backends.torch_cam.metrics.evaluator.blur", torch.zeros_like)


def evaluator(probability=mean_pixel, pixels=IMAGE, masks=None, steps=3, batch_size=64):
    model = CountingModel(probability)
    targets = torch.zeros(pixels.shape[0], dtype=torch.long)
    return MetricEvaluator(model, pixels, targets, masks, steps=steps, batch_size=batch_size), model


def grid_maps(*maps):
    """`s_fm [C, 1, 2, 3]` from 2×3 lists, and a matching full-size `s` (unused by grid metrics)."""
    s_fm = torch.tensor(maps, dtype=torch.float32)[:, None]
    return s_fm, torch.nn.functional.interpolate(s_fm, size=(4, 6), mode="bilinear").clamp(0, 1)


# s_fm order, ties by cell index: 5 (3.0), 1 and 3 (2.0, cell 1 first), 2 (1.0), 0 and 4 (0.0)
TIED = [[0.0, 2.0, 1.0], [2.0, 0.0, 3.0]]
ONE = torch.tensor([0])


def test_grid_deletion_by_hand_with_tied_cells(black_substrate):
    metrics, _ = evaluator()
    s_fm, s = grid_maps(TIED, [[0.0] * 3] * 2)
    # p(x) = 0.35; removing a cell of value v lowers the mean by 4·v/24 = v/6.
    # TIED removes cells 5, 1, 3: drops 0.6/6, 0.8/6, 1.2/6.
    # The all-zero map orders cells by index 0, 1, 2: drops 0.1/6, 0.3/6, 0.6/6.
    expected = [(0.6 + 0.8 + 1.2) / 6 / 3 / 0.35, (0.1 + 0.3 + 0.6) / 6 / 3 / 0.35]
    assert metrics.score("deletion", ONE, s_fm, s)[:, 0].tolist() == pytest.approx(expected, rel=1e-6)
    # for a linear model insertion from a black image gains exactly what deletion loses
    assert metrics.score("insertion", ONE, s_fm, None)[:, 0].tolist() == pytest.approx(expected, rel=1e-6)


def test_grid_insertion_and_deletion_by_hand_for_a_nonlinear_model(black_substrate):
    metrics, _ = evaluator(lambda pixels: mean_pixel(pixels) ** 2)
    s_fm, s = grid_maps(TIED)
    # cells 5, 1, 3 (values .6, .2, .4) taken away from x, or brought into a black image
    means_deleted = [0.35 - 0.6 / 6, 0.35 - 0.8 / 6, 0.35 - 1.2 / 6]
    means_inserted = [0.6 / 6, 0.8 / 6, 1.2 / 6]
    deletion = sum(0.35**2 - m**2 for m in means_deleted) / 3 / 0.35**2
    insertion = sum(m**2 - 0.0 for m in means_inserted) / 3 / 0.35**2
    assert metrics.score("deletion", ONE, s_fm, s).item() == pytest.approx(deletion, rel=1e-6)
    assert metrics.score("insertion", ONE, s_fm, s).item() == pytest.approx(insertion, rel=1e-6)


def test_grid_cells_have_integer_division_borders(black_substrate):
    pixels = torch.rand(1, 3, 5, 7) + 0.1
    metrics, model = evaluator(pixels=pixels, steps=1)
    s_fm = torch.zeros(1, 1, 2, 3)
    s_fm[0, 0, 1, 2] = 1.0  # the highest cell is row 1, column 2
    metrics.score("deletion", ONE, s_fm, None)
    perturbed = model.seen[-1][0]
    # rows split at 5 // 2 = 2, columns at 7 // 3 = 2 and 14 // 3 = 4
    blacked = torch.zeros(5, 7, dtype=torch.bool)
    blacked[2:, 4:] = True
    assert (perturbed[:, blacked] == 0).all()
    assert torch.equal(perturbed[:, ~blacked], pixels[0][:, ~blacked])


def test_grid_deletion_uses_the_gaussian_blur_substrate():
    torch.manual_seed(2)
    pixels = torch.rand(2, 3, 12, 18, dtype=torch.float64)  # float64: the effects are ~1e-4
    metrics, _ = evaluator(pixels=pixels, steps=4)
    s_fm = torch.rand(3, 2, 3, 3)
    values = metrics.score("deletion", torch.tensor([0, 1]), s_fm, None)
    # For the mean-pixel model each replaced cell lowers p by (its sum in x − in x̃) / (3·H·W).
    blurred = blur(pixels)
    rows = [0, 4, 8, 12]
    cols = [0, 6, 12, 18]
    for c in range(3):
        for i in range(2):
            clean = pixels[i].mean().item()
            order = sorted(range(9), key=lambda k: (-s_fm[c, i].flatten()[k].item(), k))[:4]
            lost, drops = 0.0, []
            for k in order:
                r, q = divmod(k, 3)
                cell = (slice(None), slice(rows[r], rows[r + 1]), slice(cols[q], cols[q + 1]))
                lost += (pixels[i][cell].sum() - blurred[i][cell].sum()).item() / pixels[i].numel()
                drops.append(lost)
            assert values[c, i].item() == pytest.approx(sum(drops) / 4 / clean, rel=1e-9)


def test_blur_sigma_kernel_and_impulse_response():
    assert blur_sigma(224, 224) == 10.0 and blur_sigma(48, 64) == pytest.approx(10 * 48 / 224)
    kernel = gaussian_kernel(10.0, torch.float64)
    assert kernel.numel() == 61 and kernel.sum().item() == pytest.approx(1.0)
    # kernel[30 + d] ∝ exp(-d² / 200)
    assert (kernel[40] / kernel[30]).item() == pytest.approx(math.exp(-100 / 200))
    # a bright pixel far from the borders spreads as the outer product of the 1-D kernel
    impulse = torch.zeros(1, 3, 112, 112, dtype=torch.float64)  # σ = 5, kernel 31
    impulse[:, :, 56, 56] = 1.0
    small = gaussian_kernel(5.0, torch.float64)
    expected = torch.zeros(112, 112, dtype=torch.float64)
    expected[41:72, 41:72] = small[:, None] * small[None, :]
    assert torch.allclose(blur(impulse)[0, 1], expected, atol=1e-15)


def test_reflect_padding_matches_torch_and_keeps_reflecting_past_the_image():
    image = torch.rand(1, 3, 9, 13)
    padded = image.index_select(-2, reflect_indices(9, 4)).index_select(-1, reflect_indices(13, 4))
    assert torch.equal(padded, torch.nn.functional.pad(image, (4, 4, 4, 4), mode="reflect"))
    # 3 pixels a b c padded by 5 (torch refuses): b a b c b | a b c | b a b c b
    assert reflect_indices(3, 5).tolist() == [1, 0, 1, 2, 1, 0, 1, 2, 1, 0, 1, 2, 1]
    assert reflect_indices(1, 2).tolist() == [0] * 5
    flat = torch.full((2, 3, 1, 30), 0.25)
    assert torch.allclose(blur(flat), flat)


def loop_grid_score(metric, probability, pixels, s_fm, steps):
    """Grid deletion/insertion one candidate, image and step at a time (black substrate)."""
    candidates, count, rows, cols = s_fm.shape
    height, width = pixels.shape[-2:]
    cell = (torch.arange(height)[:, None] * rows // height) * cols + torch.arange(width)[None] * cols // width
    values = torch.zeros(candidates, count, dtype=torch.float64)
    for c in range(candidates):
        for i in range(count):
            image = pixels[i:i + 1]
            clean, black = float(probability(image)), float(probability(torch.zeros_like(image)))
            order = sorted(range(rows * cols), key=lambda k: (-float(s_fm[c, i].flatten()[k]), k))
            total = 0.0
            for j in range(1, min(steps, rows * cols) + 1):
                blurred = torch.isin(cell, torch.tensor(order[:j]))
                kept = ~blurred if metric == "insertion" else blurred
                total += float(probability(torch.where(kept, 0.0, image)))
            mean = total / min(steps, rows * cols)
            values[c, i] = (clean - mean) / clean if metric == "deletion" else (mean - black) / clean
    return values


@pytest.mark.parametrize("metric", ["deletion", "insertion"])
def test_grid_scores_equal_a_loop_on_a_grid_of_more_than_64_cells(black_substrate, metric):
    torch.manual_seed(11)
    pixels = torch.rand(3, 3, 18, 27) + 0.05
    weights = torch.randn(3, 18, 27)

    def probability(images):  # non-linear in the pixels: no step can stand in for another
        return torch.sigmoid((images * weights).sum(dim=(1, 2, 3)) / 50) ** 2

    metrics, model = evaluator(probability, pixels=pixels, steps=12, batch_size=16)
    s_fm = torch.randint(0, 3, (4, 3, 9, 9)).float()  # 81 cells, many ties
    s_fm[1] = s_fm[0]
    s_fm[2, :, 0, 0] = 5.0  # same top cell as another candidate, different tail
    images = torch.tensor([0, 1, 2])
    expected = loop_grid_score(metric, probability, pixels, s_fm, 12)
    torch.testing.assert_close(metrics.score(metric, images, s_fm, None), expected, rtol=1e-5, atol=1e-6)
    again = model.images
    torch.testing.assert_close(metrics.score(metric, images.flip(0), s_fm.flip(1), None), expected.flip(1),
                               rtol=1e-5, atol=1e-6)
    assert model.images == again  # every step of the flipped call is in the memo


def test_memo_second_score_and_same_top_cells_cost_no_model_calls(black_substrate):
    metrics, model = evaluator()
    s_fm, s = grid_maps(TIED)
    metrics.score("deletion", ONE, s_fm, s)
    assert (model.calls, model.images) == (2, 2 + 3)  # clean + black, then the 3 perturbed images
    metrics.score("deletion", ONE, s_fm, s)
    # same top-3 cells (5, 1, 3) with a different tail and scale
    other_s_fm, other_s = grid_maps([[5.0, 7.0, 0.0], [7.0, 1.0, 9.0]])
    metrics.score("deletion", ONE, other_s_fm, other_s)
    assert (model.calls, model.images) == (2, 5)
    assert metrics.counts.misses == 3 and metrics.counts.hits == 6


def test_memo_shares_prefix_sets_and_batches_one_call(black_substrate):
    metrics, model = evaluator()
    # orders 5,1,3 / 5,3,1 / 5,1,2: step-1 set {5} shared by all, step-3 set {1,3,5} by the first two
    s_fm, s = grid_maps(TIED, [[0.0, 2.0, 1.0], [2.5, 0.0, 3.0]], [[0.0, 2.0, 1.5], [0.5, 0.0, 3.0]])
    metrics.score("deletion", ONE, s_fm, s)
    # unique sets: {5}, {1,5}, {1,3,5}, {3,5}, {1,2,5}
    assert (model.calls, model.images) == (2, 2 + 5)
    assert metrics.counts.misses == 5 and metrics.counts.hits == 9 - 5


def test_batch_size_splits_model_calls(black_substrate):
    metrics, model = evaluator(batch_size=2)
    s_fm, s = grid_maps(TIED)
    metrics.score("deletion", ONE, s_fm, s)
    assert model.calls == 1 + 2  # clean+black, then 3 perturbed images in batches of 2


def test_average_drop_and_increase_by_hand():
    s_fm = torch.tensor([[[[1.0, 0.0]]], [[[0.0, 1.0]]]])  # two maps at feature-map resolution
    s = torch.zeros(2, 1, 4, 6)
    s[0, 0, :, :2] = 1.0  # keeps cells 0 and 3 (values 0.1 and 0.4)
    s[1, 0, :, 3:] = 0.5  # halves cells 1 (right half), 2, 4 (right half), 5
    kept = [(0.1 + 0.4) * 8 / 24 / 2, 0.5 * (0.2 * 2 + 0.3 * 4 + 0.5 * 2 + 0.6 * 4) / 24]
    metrics, _ = evaluator()
    drop = metrics.score("avg_drop", ONE, s_fm, s)[:, 0].tolist()
    assert drop == pytest.approx([(0.35 - k) / 0.35 for k in kept], rel=1e-6)
    assert metrics.score("increase", ONE, s_fm, s)[:, 0].tolist() == [0.0, 0.0]
    darker_is_likelier, _ = evaluator(lambda pixels: 1 - mean_pixel(pixels))
    assert darker_is_likelier.score("avg_drop", ONE, s_fm, s)[:, 0].tolist() == [0.0, 0.0]
    assert darker_is_likelier.score("increase", ONE, s_fm, s)[:, 0].tolist() == [1.0, 1.0]


def test_average_drop_memoises_identical_maps():
    metrics, model = evaluator()
    weights = torch.tensor([[[1.0, 0.5]], [[2.0, 1.0]], [[0.0, 1.0]]])  # the first two: one map
    s_fm, s = cam_maps(weights, torch.rand(1, 2, 2, 3), (4, 6))
    metrics.score("avg_drop", ONE, s_fm, s)
    assert model.images == 2 + 2
    metrics.score("increase", ONE, s_fm, s)
    assert model.images == 4


# RISE curves on a 2×2 image with a 1×2 grid: 2 steps of 2 pixels; pixel values .2 .4 / .6 .8.
SMALL = torch.tensor([[0.2, 0.4], [0.6, 0.8]]).expand(1, 3, 2, 2).clone()


def test_rise_curves_by_hand_with_tied_pixels(black_substrate):
    metrics, _ = evaluator(pixels=SMALL)
    s_fm = torch.zeros(1, 1, 1, 2)
    s = torch.tensor([[[[1.0, 0.5], [0.5, 0.0]]]])  # ties: pixel 1 before pixel 2
    # deletion curve p = 0.5, (0.6+0.8)/4, 0 at fractions 0, 0.5, 1
    deletion = 0.5 * (0.5 + 0.35) / 2 + 0.5 * (0.35 + 0.0) / 2
    # insertion curve p = 0, (0.2+0.4)/4, 0.5
    insertion = 0.5 * (0.0 + 0.15) / 2 + 0.5 * (0.15 + 0.5) / 2
    assert metrics.score("deletion_auc", ONE, s_fm, s).item() == pytest.approx(deletion, rel=1e-6)
    assert metrics.score("insertion_auc", ONE, s_fm, s).item() == pytest.approx(insertion, rel=1e-6)


def test_rise_curve_steps_of_unequal_size(black_substrate):
    pixels = torch.tensor([[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]]).expand(1, 3, 2, 3).clone()
    metrics, _ = evaluator(pixels=pixels)
    s_fm = torch.zeros(1, 1, 1, 4)  # 4 steps over 6 pixels: ⌊6j/4⌋ = 0, 1, 3, 4, 6 pixels replaced
    s = torch.tensor([[[[0.0, 0.2, 0.4], [0.6, 0.8, 1.0]]]])  # pixel 5 first, then 4, 3, ...
    # p = mean pixel: 2.1/6, then without .6, without .6 .5 .4, without .3 as well, then 0
    curve = [2.1 / 6, 1.5 / 6, 0.6 / 6, 0.3 / 6, 0.0]
    fractions = [0.0, 1 / 6, 3 / 6, 4 / 6, 1.0]
    area = sum((fractions[j + 1] - fractions[j]) * (curve[j] + curve[j + 1]) / 2 for j in range(4))
    assert metrics.score("deletion_auc", ONE, s_fm, s).item() == pytest.approx(area, rel=1e-6)


def test_rise_curves_are_memoised_per_pixel_step(black_substrate):
    pixels = torch.rand(1, 3, 6, 6)
    metrics, model = evaluator(pixels=pixels)
    s_fm = torch.zeros(2, 1, 2, 2)  # 4 steps of 9 pixels
    s = torch.rand(1, 1, 6, 6).expand(2, 1, 6, 6).clone()
    s[1] = s[1] ** 3  # same ranking, different values
    values = metrics.score("deletion_auc", ONE, s_fm, s)
    assert values[0] == values[1]
    assert model.images == 2 + 3  # one curve: 3 inner points
    metrics.score("deletion_auc", ONE, s_fm, s)
    assert model.images == 5


def mask_of(*pixels, shape=(2, 3)):
    mask = torch.zeros(shape, dtype=torch.bool).flatten()
    mask[list(pixels)] = True
    return mask.view(1, *shape)


def test_mask_metrics_by_hand_with_ties():
    pixels = torch.rand(1, 3, 2, 3)
    metrics, model = evaluator(pixels=pixels, masks=mask_of(2, 3, 5))  # n = |M| = 3
    s = torch.tensor([
        [[[0.9, 0.5, 0.5], [0.5, 0.0, 1.0]]],
        [[[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]],
        [[[0.0, 0.0, 1.0], [0.0, 0.0, 1.0]]],
        [[[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]]],
    ])
    s_fm = s.clone()
    # top 3, ties by pixel index: {5, 0, 1} (1 of the tied 1, 2, 3), {0, 5, 1}, {2, 5, 0}, {0, 1, 2}
    assert metrics.score("topn_gt", ONE, s_fm, s)[:, 0].tolist() == pytest.approx([1 / 3, 1 / 3, 2 / 3, 1 / 3])
    assert metrics.score("sch", ONE, s_fm, s)[:, 0].tolist() == pytest.approx([2 / 3.4, 1 / 2, 1.0, 0.0])
    # argmax ties go to the lower pixel index: 0 (outside M) for the second map and the zero map
    assert metrics.score("pointing", ONE, s_fm, s)[:, 0].tolist() == [1.0, 0.0, 1.0, 0.0]
    assert model.calls == 0


def test_topn_gt_of_an_empty_mask_is_zero():
    metrics, _ = evaluator(pixels=torch.rand(1, 3, 2, 3), masks=mask_of())
    s = torch.rand(1, 1, 2, 3)
    assert metrics.score("topn_gt", ONE, s, s).item() == 0.0


def test_non_finite_weights_score_the_worst_value_and_cost_nothing():
    pixels = torch.rand(2, 3, 8, 8)
    masks = torch.rand(2, 8, 8) > 0.5
    metrics, model = evaluator(pixels=pixels, masks=masks)
    weights = torch.tensor([[[float("nan"), 1.0], [1.0, 1.0]], [[float("inf"), 1.0], [float("nan"), 0.0]]])
    s_fm, s = cam_maps(weights, torch.rand(2, 2, 2, 2), (8, 8))
    both = torch.tensor([0, 1])
    for name, metric in METRICS.items():
        values = metrics.score(name, both, s_fm, s)
        worst = -math.inf if metric.higher_is_better else math.inf
        assert worst_value(name) == worst
        assert values[0, 0] == worst and values[1, 0] == worst and values[1, 1] == worst
        assert math.isfinite(values[0, 1])
    # only candidate 0 on image 1 was scored with the model: 2 base calls, then its own images
    flagged_only = MetricEvaluator(model, pixels, torch.zeros(2, dtype=torch.long), masks)
    before = model.images
    flagged_only.score("deletion", both, s_fm[1:], s[1:])
    assert model.images - before == 4  # clean and blurred of two images, nothing perturbed


def test_map_keys_follow_what_each_metric_reads():
    torch.manual_seed(1)
    pixels = torch.rand(3, 3, 14, 14)
    masks = torch.rand(3, 14, 14) > 0.7
    metrics, _ = evaluator(pixels=pixels, masks=masks, steps=4)
    acts = torch.rand(3, 4, 7, 7)
    base = torch.randn(1, 3, 4)
    weights = torch.cat([base, 2.0 * base, torch.randn(1, 3, 4), torch.full((1, 3, 4), float("nan"))])
    s_fm, s = cam_maps(weights, acts, (14, 14))
    images = torch.arange(3)
    for metric in METRICS:
        keys = metrics.map_keys(metric, s_fm, s, images)
        assert keys[0] == keys[1], metric  # positive scaling (exact in binary): the same map
        assert keys[0] != keys[2], metric  # a different map and ranking
    # a map with the same top cells but a different tail keys alike for deletion only
    s_fm_tail = s_fm[:1].clone()
    lowest = s_fm_tail[0, :, :, :].flatten(1).argmin(dim=1)
    for i, cell in enumerate(lowest.tolist()):
        s_fm_tail[0, i].view(-1)[cell] += 1e-3
    pair = torch.cat([s_fm[:1], s_fm_tail])
    assert len(set(metrics.map_keys("deletion", pair, None, images))) == 1
    assert len(set(metrics.map_keys("avg_drop", pair, None, images))) == 2


def test_equal_map_keys_imply_equal_scores():
    torch.manual_seed(3)
    pixels = torch.rand(2, 3, 12, 12)
    masks = torch.rand(2, 12, 12) > 0.6
    metrics, _ = evaluator(lambda p: torch.sigmoid(4 * p[:, 0].mean(dim=(1, 2)) - 2 * p[:, 1, :6].mean(dim=(1, 2))),
                           pixels=pixels, masks=masks, steps=5)
    acts = torch.rand(2, 3, 3, 3)
    # few distinct weights up to scaling, ReLU collapse (negatives), and small perturbations
    choices = torch.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [1.0, 1.0, 0.0], [-1.0, -1.0, -1.0], [1.0, 0.0, 1e-4]])
    pick = torch.randint(0, 5, (24, 2))
    weights = choices[pick] * torch.rand(24, 1, 1).add(0.5)
    s_fm, s = cam_maps(weights, acts, (12, 12))
    images = torch.tensor([0, 1])
    for metric in METRICS:
        keys = metrics.map_keys(metric, s_fm, s, images)
        scores = metrics.score(metric, images, s_fm, s)
        assert len(set(keys)) < len(keys), metric  # the check below compares something
        for a in range(len(keys)):
            for b in range(a):
                if keys[a] == keys[b]:
                    assert torch.allclose(scores[a], scores[b], atol=1e-6), metric


def test_bad_requests_raise_metric_errors_with_hints():
    metrics, _ = evaluator()
    s_fm, s = grid_maps(TIED)
    with pytest.raises(MetricError, match="did you mean 'deletion'"):
        metrics.score("deleton", ONE, s_fm, s)
    with pytest.raises(MetricError, match="needs ground-truth masks"):
        metrics.score("sycam.pointing", ONE, s_fm, s)
    with pytest.raises(MetricError, match="reads the upsampled map"):
        metrics.score("avg_drop", ONE, s_fm, None)
    with pytest.raises(MetricError, match="image indices"):
        metrics.score("deletion", torch.tensor([3]), s_fm, s)
    with pytest.raises(MetricError, match="one target class per image"):
        MetricEvaluator(mean_pixel, IMAGE, torch.zeros(2, dtype=torch.long), None)
