"""The examples backend: terms evaluated on input/output examples (standard SyGuS problems)."""
from .backend import Column, ExamplesBackend, Macro, evaluate, sort_tag
from .semantics import UNDEFINED, UnsupportedOperator

__all__ = ["Column", "ExamplesBackend", "Macro", "UNDEFINED", "UnsupportedOperator", "evaluate",
           "sort_tag"]
