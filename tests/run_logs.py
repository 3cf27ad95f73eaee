"""Comparing two runs of the quickstart: its optimise variant, and candidate logs without the
nonce and checksums that make each log unique."""
import json
from pathlib import Path

QUICKSTART = Path(__file__).resolve().parents[1] / "grammars" / "quickstart.sl"


def quickstart_problem(variant: str, folder: Path) -> Path:
    """The quickstart itself, or ("optimise") its constraint made an objective: many candidates
    scored, the threshold moving after each best; or ("constant") a grammar constant among its terminals."""
    edits = {"optimise": ("(constraint (>= (deletion weights) (deletion gradcam)))",
                          "(optimize-synth ((! (deletion weights) :max)))"),
             "constant": ("(T Real (grads pos_grads xgrads act))", "(T Real (grads pos_grads xgrads act 0.5))")}
    if variant not in edits:
        return QUICKSTART
    problem = folder / f"{variant}.sl"
    text = QUICKSTART.read_text()
    assert edits[variant][0] in text
    problem.write_text(text.replace(*edits[variant]))
    return problem


def logged(path: Path) -> list[dict]:
    """A candidate log's lines without what makes each log unique (its nonce, and the checksums
    that bind every record to it)."""
    entries = []
    for line in path.read_text().splitlines():
        entry = json.loads(line)
        entry.pop("check", None)
        entry.pop("nonce", None)
        if "settings" in entry:
            entry["settings"] = {k: v for k, v in entry["settings"].items() if k != "nonce"}
        entries.append(entry)
    return entries
