"""A run's settings, resolved once: the options table's defaults, then the problem file's
`set-option`s, then the caller's flags, then the checks that span several options.

Every later stage reads a typed, frozen `Settings`; nothing else parses or defaults an option.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Mapping

from .errors import OptionError, did_you_mean
from .options import OPTIONS, checked_value, equivalence_levels


@dataclass(frozen=True)
class Settings:
    """One field per `:sycam.*` option (dashes become underscores), typed."""

    model: str
    weights: str
    layer: str
    data: str
    masks: str
    resize: str
    target: str
    images: int
    tiers: tuple[int, ...]
    eq_images: int
    equivalence: str
    steps: int
    time_limit: float
    max_size: int
    max_candidates: int
    seed: int
    device: str
    batch_size: int
    cache: str
    figure_images: int
    validation: int
    acceptance: str
    significance: float
    class_sensitive: bool
    holdout: int
    candidate_batch: int
    workers: int
    ray_address: str

    @property
    def levels(self) -> frozenset[str]:
        """The equivalence levels in use (CAM-THEORY §6)."""
        return equivalence_levels(self.equivalence)

    def value(self, name: str) -> object:
        """Option `name`'s value as a problem file writes it (tiers as a list), for logs and reports."""
        value = getattr(self, name.replace("-", "_"))
        return list(value) if isinstance(value, tuple) else value

    def as_options(self) -> dict[str, object]:
        """Every option by its file name (`eq-images`), in the options table's order."""
        return {name: self.value(name) for name in OPTIONS}

    def replace(self, **changes: object) -> "Settings":
        """A copy with some fields changed (e.g. the time left after opening the backend)."""
        return replace(self, **changes)

    @staticmethod
    def resolve(file_values: Mapping[str, object] | None = None, flags: Mapping[str, object] | None = None) -> "Settings":
        """Defaults, overridden by the file's values (already checked where they were written), then
        by `flags` (checked here; an error names the option), then the cross-option checks."""
        values = {name: option.default for name, option in OPTIONS.items()}
        values.update(file_values or {})
        for name, value in (flags or {}).items():
            values[name] = override_value(name, value)
        if values["eq-images"] < 1 and equivalence_levels(values["equivalence"]):  # each value alone was fine
            raise OptionError("eq-images", "the equivalence levels need at least one image",
                              hint='set :sycam.eq-images to 1 or more, or :sycam.equivalence to ""')
        values["tiers"] = tuple(values["tiers"])
        return Settings(**{name.replace("-", "_"): value for name, value in values.items()})


def override_value(name: str, value: object) -> object:
    """A flag's or API override's value converted to its option's type and checked as a file's value is."""
    spec = OPTIONS.get(name)
    if spec is None:
        raise OptionError(name, f"unknown option '{name}'", hint=did_you_mean(name, OPTIONS))
    try:
        # tier_sizes parses a list's text, parse_bool a boolean's (bool("false") would be True)
        converted = value if spec.kind in (list, bool) else spec.kind(value)
    except (TypeError, ValueError):
        raise OptionError(name, f"option '{name}' expects {spec.kind.__name__}, got {value!r}", hint=spec.help) from None
    try:
        return checked_value(spec, converted)
    except ValueError as problem:
        raise OptionError(name, f"option '{name}': {problem}", hint=spec.help) from None
