"""The held-out rows of a corpus, as `loopdesk bench-triage --split` wrote them: shared by the
triage baselines so each reads the corpus and the split the same way."""
import csv


def read(corpus, split):
    """(header, train rows, test rows) of a CSV corpus with label and text columns."""
    with open(corpus, encoding="utf-8-sig", newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        label, text = header.index("label"), header.index("text")
        rows = [r for r in reader if len(r) > max(label, text)]
    with open(split, encoding="utf-8") as f:
        marks = [line.strip() for line in f]
    train = [r for r, s in zip(rows, marks) if s == "train"]
    test = [r for r, s in zip(rows, marks) if s == "test"]
    return (label, text), train, test
