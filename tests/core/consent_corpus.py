"""The labelled consent corpus (consent_corpus.tsv), for tests of core/consent and of the flows
that use it (e.g. every NO row at the button flow's review step).

Columns: reader (reply = read_reply, cancel = read_cancel_request), expected verdict, group
(vi, vi-noaccent, teen, en, mixed, question, condition, later, hedge, ambiguous, injection...),
text. Lines starting with # are comments.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

from core.consent import Reading, Verdict, read_cancel_request, read_reply

CORPUS = Path(__file__).with_name("consent_corpus.tsv")
READERS: dict[str, Callable[[str], Reading]] = {
    "reply": read_reply,
    "cancel": read_cancel_request,
}


@dataclasses.dataclass(frozen=True)
class Row:
    reader: str
    expected: Verdict
    group: str
    text: str

    def read(self) -> Reading:
        return READERS[self.reader](self.text)


def load_corpus(path: Path = CORPUS) -> list[Row]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        reader, expected, group, text = line.split("\t")
        rows.append(Row(reader, Verdict(expected), group, text))
    return rows


def rows_of(reader: str, expected: Verdict | None = None) -> list[Row]:
    return [r for r in load_corpus() if r.reader == reader and expected in (None, r.expected)]
