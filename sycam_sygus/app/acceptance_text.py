"""The report's words for the acceptance rule: the verdict against a method, and the rule's figures."""
from __future__ import annotations


def verdict_word(verdict: dict, method: str) -> str:
    """"equivalent to METHOD" when the answer's scores equal the method's within the tolerance, else
    "passes" / "does not pass"."""
    if verdict.get("equivalent"):
        return f"equivalent to {method}"
    return "passes" if verdict["accepted"] else "does not pass"


def acceptance_lines(report: dict) -> list[str]:
    """Markdown lines: the rule, its tolerance, the corrected level, validation means, the reason."""
    rule = report.get("acceptance") or {}
    if not rule:
        return []
    parts = [f"rule {rule.get('rule', 'published')}", f"tolerance {rule.get('tolerance', 0.0):.3g}"]
    if "effective_level" in rule:
        parts.append(f"Wilcoxon level {rule['level']:g} / {rule['compared']} candidates compared = "
                     f"{rule['effective_level']:.3g}")
    if "validation_images" in rule:
        figures = [f"{rule['validation_images']} validation images, {rule.get('validation_checks', 0)} confirmations "
                   f"asked (Wilcoxon level {rule.get('validation_level', 0.05):g} / their number)"]
        if "validation_mean" in rule:
            figures.append(f"answer mean {rule['validation_mean']:.4f}")
        if "start_validation_mean" in rule:
            figures.append(f"starting baseline mean {rule['start_validation_mean']:.4f}")
        parts.append(", ".join(figures))
    lines = ["", "- acceptance: " + "; ".join(parts)]
    if rule.get("reason"):
        lines.append(f"- {report['status']}: {rule['reason']}")
    return lines
