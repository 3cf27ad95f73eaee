"""Tiny hand-sized CNNs shared by the backend tests."""
from torch import nn


class GapNet(nn.Module):
    """features (ends in ReLU: the CAM layer) -> global average pool -> linear."""

    def __init__(self, classes: int = 4, channels: int = 6):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, channels, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                                      nn.Conv2d(channels, channels, 3, padding=1), nn.ReLU())
        self.classifier = nn.Linear(channels, classes)

    def forward(self, x):
        return self.classifier(self.features(x).mean(dim=(2, 3)))
