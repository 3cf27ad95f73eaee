"""sycam-solve --list-layers: module paths, output shapes for one dummy input, CAM-usable ones marked."""
from sycam_sygus.backends.torch_cam.layer_listing import list_layers
from tiny_models import GapNet
from torch import nn

from sycam_sygus.app import cli


class SharedActivation(nn.Module):
    """One ReLU module used twice (as some networks reuse an activation) and a token-shaped layer."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.act = nn.ReLU()
        self.tokens = nn.Flatten(2)
        self.pool = nn.AdaptiveAvgPool2d(1)

    def forward(self, x):
        x = self.act(self.conv(self.act(x)))
        self.tokens(x)
        return self.pool(x).flatten(1)


def test_shapes_and_usable_layers_of_a_small_cnn():
    layers = {layer.path: layer for layer in list_layers(GapNet(channels=5).eval(), (12, 12))}
    assert list(layers) == ["features", "features.0", "features.1", "features.2", "features.3", "features.4",
                            "classifier"]
    assert layers["features"].shape == (5, 6, 6) and layers["features.0"].shape == (5, 12, 12)
    assert layers["classifier"].shape == (4,)
    assert [path for path, layer in layers.items() if layer.usable] == list(layers)[:-1]


def test_a_shared_module_a_token_layer_and_a_single_cell_are_not_usable():
    layers = {layer.path: layer for layer in list_layers(SharedActivation().eval(), (8, 8))}
    assert layers["act"].calls == 2 and not layers["act"].usable
    assert layers["tokens"].shape == (4, 64) and not layers["tokens"].usable
    assert layers["pool"].shape == (4, 1, 1) and not layers["pool"].usable
    assert layers["conv"].usable


def test_the_cli_lists_the_builtin_models_layers_with_its_default(capsys):
    assert cli.main(["--list-layers"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("# builtin:cluttered-mnist: output shapes for one 64x64 input")
    assert "* features.block4    Sequential   [64, 8, 8]  (default)" in out
    assert any(line.startswith("  classifier") and line.endswith("[10]") for line in out)


def test_list_layers_of_an_unknown_model_is_a_flag_error(capsys):
    assert cli.main(["--list-layers", "--model", "resnet19"]) == 2
    err = capsys.readouterr().err
    assert "unknown model 'resnet19' (option :sycam.model, from --model)" in err and "did you mean 'resnet18'" in err


def test_a_problem_file_is_still_required_without_list_layers(capsys):
    assert cli.main([]) == 2
    assert "the following arguments are required: file" in capsys.readouterr().err


