"""Precision and recall of the industry-signal detector on the labelled sample.

    uv run python bench/validation_industry_eval.py [--errors] [FILE.jsonl ...]

Without a file, three samples of tests/validation/data, in the order they were written:
- ``industry_sample.jsonl`` (192): the development sample the lexicon was tuned on;
- ``industry_holdout.jsonl`` (104): written after the lexicon was frozen; its errors then
  motivated one rule change (a lone strong word in another world's context needs
  corroboration), so it is no longer independent of the final detector;
- ``industry_fresh.jsonl`` (50): written after that last change, never used to tune:
  the honest estimate.

Positive class = "the text shows a sign of industry" (the event passes the
``industry_theme_unclear`` rule). A false positive is a false *pass* (costly: the label's
credibility); a false negative is a needless ``needs_review`` (costs an operator a minute).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from validation.industry import detect

DATA = Path(__file__).resolve().parents[1] / "tests/validation/data"
DEFAULT = [DATA / f"industry_{name}.jsonl" for name in ("sample", "holdout", "fresh")]


def evaluate(rows: list[dict]) -> dict:
    tp = fp = fn = tn = 0
    errors = []
    for row in rows:
        signal = detect(row["title"], row["description"])
        truth = row["industry"]
        if signal.found and truth:
            tp += 1
        elif signal.found:
            fp += 1
            errors.append(("false pass", row, signal))
        elif truth:
            fn += 1
            errors.append(("needless review", row, signal))
        else:
            tn += 1
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return {"tp": tp, "fp": fp, "fn": fn, "tn": tn, "precision": precision, "recall": recall,
            "errors": errors}


def report(name: str, rows: list[dict]) -> dict:
    r = evaluate(rows)
    pos = sum(1 for x in rows if x["industry"])
    print(f"{name}: {len(rows)} examples ({pos} industry, {len(rows) - pos} not)")
    print("                     detected sign   no sign")
    print(f"  industry (truth)   {r['tp']:>13}   {r['fn']:>7}")
    print(f"  not industry       {r['fp']:>13}   {r['tn']:>7}")
    print(f"  precision {r['precision']:.3f}   recall {r['recall']:.3f}   "
          f"false passes {r['fp']}   needless reviews {r['fn']}")
    return r


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path, default=DEFAULT)
    parser.add_argument("--errors", action="store_true", help="list the misclassified examples")
    args = parser.parse_args()
    for path in args.files:
        text = path.read_text(encoding="utf-8")
        rows = [json.loads(line) for line in text.splitlines() if line.strip()]
        result = report(path.name, rows)
        report(f"{path.name}, hard cases only", [x for x in rows if x.get("hard")])
        if args.errors:
            for kind, row, signal in result["errors"]:
                print(f"- {kind} #{row['id']}: {row['title']} | {row['description']}")
                print(f"    evidence: {signal.summary()}; other world: "
                      f"{[e.text for e in signal.other_world]}")
        print()

if __name__ == "__main__":
    main()
