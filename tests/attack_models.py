"""Entry-point factories for the hardening tests (trusted: they are named on the command line)."""
import torch
from tiny_models import GapNet


def tiny():
    """A 4-channel GAP network on 16x16 inputs; its CAM layer is `features.4`."""
    torch.manual_seed(0)
    return GapNet(classes=3, channels=4).eval(), "features.4", None, (16, 16)


def flat():
    """The same network with its second convolution zeroed: every channel of the layer is constant."""
    model, layer, normalize, size = tiny()
    with torch.no_grad():
        model.features[3].weight.zero_()
        model.features[3].bias.zero_()
    return model, layer, normalize, size


def not_a_model():
    """A factory that returns something that is not a model."""
    return "a string"
