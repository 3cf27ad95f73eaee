"""The IR layer: hash-consed terms and their SyGuS text, problems and grammars, symbolic forms."""
from ..core.sorts import Sort
from .grammar import Grammar, derivable
from .problem import Goal, Problem, SynthFun
from .term import BOOL, INT, REAL, Term, app, const, hole, substitute, to_sygus, var

__all__ = ["BOOL", "INT", "REAL", "Goal", "Grammar", "Problem", "Sort", "SynthFun", "Term", "app", "const",
           "derivable", "hole", "substitute", "to_sygus", "var"]
