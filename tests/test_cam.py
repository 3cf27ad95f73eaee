"""The CAM template: a hand-computed 2×2 map, normalisation after upsampling, flags, and
agreement with pytorch-grad-cam for the same weights."""
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from sycam_sygus.backends.torch_cam.cam import cam_maps, invalid_maps, normalize_maps

# One image, two channels of a 2×2 feature map.
ACTS = torch.tensor([[[[1.0, 0.0], [0.0, 2.0]], [[0.0, 1.0], [1.0, 0.0]]]])


def test_two_by_two_map_by_hand():
    weights = torch.tensor([[[1.0, -1.0]]])  # C=1, I=1, K=2
    s_fm, s = cam_maps(weights, ACTS, (4, 4))
    # ReLU([[1, -1], [-1, 2]])
    assert s_fm.tolist() == [[[[1.0, 0.0], [0.0, 2.0]]]]
    # Half-pixel bilinear 2 -> 4 reads source rows/cols (a0, .75a0+.25a1, .25a0+.75a1, a1);
    # the result spans [0, 2] and is divided by 2.
    expected = [
        [0.5, 0.375, 0.125, 0.0],
        [0.375, 0.34375, 0.28125, 0.25],
        [0.125, 0.28125, 0.59375, 0.75],
        [0.0, 0.25, 0.75, 1.0],
    ]
    assert s[0, 0].tolist() == expected


def test_non_square_output_and_batch_shapes():
    acts = torch.rand(3, 5, 2, 4)
    s_fm, s = cam_maps(torch.rand(7, 3, 5), acts, (6, 10))
    assert s_fm.shape == (7, 3, 2, 4) and s.shape == (7, 3, 6, 10)
    with pytest.raises(ValueError, match="do not match"):
        cam_maps(torch.rand(7, 3, 4), acts, (6, 10))


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10_000), st.sampled_from([(7, 7), (13, 9), (32, 20)]), st.floats(0.01, 1000.0))
def test_normalised_after_upsampling_and_scale_invariant(seed, size, scale):
    generator = torch.Generator().manual_seed(seed)
    acts = torch.rand(2, 4, 3, 3, generator=generator, dtype=torch.float64)
    weights = torch.randn(1, 2, 4, generator=generator, dtype=torch.float64)
    s_fm, s = cam_maps(weights, acts, size)
    for i in range(2):
        if s_fm[0, i].max() > 0 and s_fm[0, i].max() != s_fm[0, i].min():
            # the peak is reached exactly, which normalising before upsampling would not give
            assert s[0, i].max() == 1.0 and s[0, i].min() == 0.0
        else:
            assert (s[0, i] == 0).all()
    _, scaled = cam_maps(weights * scale, acts, size)
    assert torch.allclose(scaled, s, atol=1e-12)


def test_no_positive_contribution_and_constant_maps_are_zero_not_nan():
    negative = torch.tensor([[[-1.0, -2.0]]])
    s_fm, s = cam_maps(negative, ACTS, (5, 3))
    assert (s_fm == 0).all() and (s == 0).all()
    flat_acts = torch.full((1, 2, 3, 3), 0.7)
    _, s = cam_maps(torch.tensor([[[1.0, 0.3]]]), flat_acts, (8, 8))
    assert (s == 0).all()
    assert normalize_maps(torch.full((2, 4, 4), 3.0)).eq(0).all()


def test_non_finite_weights_flag_only_their_candidate_image():
    acts = torch.rand(2, 2, 2, 2)
    weights = torch.tensor([
        [[1.0, float("nan")], [1.0, 2.0]],
        [[float("inf"), 1.0], [0.5, 0.5]],
        [[1e30, 1e30], [1.0, 1.0]],  # finite weights whose weighted sum overflows float32
    ])
    s_fm, s = cam_maps(weights, acts * 1e10, (4, 4))
    expected = [[True, False], [True, False], [True, False]]
    assert invalid_maps(s).tolist() == expected
    assert invalid_maps(s_fm).tolist() == expected
    finite = ~invalid_maps(s)
    assert torch.isfinite(s[finite]).all()
    small, none = cam_maps(weights, acts * 1e10, (4, 4), upsample=False)
    assert none is None
    torch.testing.assert_close(small, s_fm, rtol=0, atol=0, equal_nan=True)


class _FixedWeightsCAM:
    """pytorch-grad-cam with a given weight vector (its template, our weights)."""

    def __new__(cls, model, layer, weights):
        from pytorch_grad_cam.base_cam import BaseCAM

        class FixedWeights(BaseCAM):
            def get_cam_weights(self, input_tensor, target_layer, targets, activations, grads):
                return weights

        return FixedWeights(model, [layer], uses_gradients=False)


def test_maps_agree_with_pytorch_grad_cam_for_the_same_weights():
    torch.manual_seed(0)
    features = torch.nn.Sequential(torch.nn.Conv2d(3, 6, 3, stride=4), torch.nn.ReLU())
    model = torch.nn.Sequential(features, torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(), torch.nn.Linear(6, 3)).eval()
    pixels = torch.rand(2, 3, 27, 35)
    weights = np.random.default_rng(0).normal(size=(2, 6)).astype(np.float32)
    with torch.no_grad():
        acts = features(pixels)
    theirs = _FixedWeightsCAM(model, features, weights)(pixels, targets=None)
    _, ours = cam_maps(torch.from_numpy(weights)[None], acts, (27, 35))
    assert ours.shape[1:] == theirs.shape
    np.testing.assert_allclose(ours[0].numpy(), theirs, atol=2e-6)


def test_upsampling_by_matrices_equals_torch_bilinear():
    torch.manual_seed(4)
    acts = torch.rand(3, 5, 7, 6, dtype=torch.float64)
    weights = torch.randn(4, 3, 5, dtype=torch.float64)
    s_fm, s = cam_maps(weights, acts, (31, 17))
    reference = torch.nn.functional.interpolate(s_fm.flatten(0, 1)[:, None], size=(31, 17), mode="bilinear",
                                                align_corners=False)[:, 0].view_as(s)
    assert torch.allclose(s, normalize_maps(reference), atol=1e-12)
