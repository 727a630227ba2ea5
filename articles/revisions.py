"""Reading revisions: a page's history and a word-by-word diff against its current text."""

import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from articles.models import Revision

# A page's history shows its newest revisions; older ones stay in the table.
REVISIONS_SHOWN = 50
# Shared runs this short between two changes are shown inside the change.
SHORT_RUN_WORDS = 3
_TOKENS = re.compile(r"\s+|[^\s]+")


@dataclass
class FieldDiff:
    label: str
    html: SafeString
    changed: bool


@dataclass
class RevisionRow:
    revision: Revision
    diffs: list[FieldDiff] = field(default_factory=list)
    changed_labels: list[str] = field(default_factory=list)

    @property
    def differs(self) -> bool:
        return any(diff.changed for diff in self.diffs)


def _chunks(before: list[str], after: list[str]) -> list[tuple[str, str, str]]:
    """(op, old text, new text) runs; a few shared words between two changes join them,
    so a rewritten sentence reads as one change rather than confetti."""
    chunks: list[list] = []
    matcher = SequenceMatcher(a=before, b=after, autojunk=False)
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        old, new = "".join(before[a1:a2]), "".join(after[b1:b2])
        kind = "equal" if op == "equal" else "change"
        if chunks and chunks[-1][0] == kind == "change":
            chunks[-1][1] += old
            chunks[-1][2] += new
        else:
            chunks.append([kind, old, new])
    merged: list[list] = []
    for index, (kind, old, new) in enumerate(chunks):
        between_changes = 0 < index < len(chunks) - 1
        if kind == "equal" and between_changes and len(old.split()) <= SHORT_RUN_WORDS:
            kind = "change"
            new = old
        if kind == "change" and merged and merged[-1][0] == "change":
            merged[-1][1] += old
            merged[-1][2] += new
        else:
            merged.append([kind, old, new])
    return [tuple(chunk) for chunk in merged]


def diff_html(old: str, new: str) -> SafeString:
    """``old`` → ``new`` word by word: removed words in <del>, added ones in <ins>."""
    parts = []
    for kind, removed, added in _chunks(_TOKENS.findall(old or ""), _TOKENS.findall(new or "")):
        if kind == "equal":
            parts.append(escape(removed))
            continue
        if removed:
            parts.append(
                f'<del><span class="visually-hidden">removed: </span>{escape(removed)}</del>'
            )
        if added:
            parts.append(f'<ins><span class="visually-hidden">added: </span>{escape(added)}</ins>')
    return mark_safe("".join(parts))  # noqa: S308 - every piece is escaped above


def compared_fields(model) -> list[tuple[str, str]]:
    """(field name, label) of the text a reader compares: title, summary and body."""
    names = ["title", "summary", *model.markdown_fields]
    return [(name, str(model._meta.get_field(name).verbose_name)) for name in names]


def _labels(model, names: list[str]) -> list[str]:
    labels = []
    for name in names:
        try:
            labels.append(str(model._meta.get_field(name).verbose_name))
        except FieldDoesNotExist:  # a field that no longer exists
            labels.append(name)
    return labels


def page_history(*, item, limit: int = REVISIONS_SHOWN) -> list[RevisionRow]:
    """The newest revisions of ``item``, each compared with its current text (one query)."""
    revisions = (
        Revision.objects.filter(
            content_type=ContentType.objects.get_for_model(item), object_id=item.pk
        )
        .select_related("user")
        .order_by("-created_at", "-pk")[:limit]
    )
    model = type(item)
    fields = compared_fields(model)
    rows = []
    for revision in revisions:
        row = RevisionRow(revision=revision, changed_labels=_labels(model, revision.changed))
        for name, label in fields:
            old, new = revision.data.get(name, ""), getattr(item, name)
            row.diffs.append(FieldDiff(label=label, html=diff_html(old, new), changed=old != new))
        rows.append(row)
    return rows
