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


def diff_html(old: str, new: str) -> SafeString:
    """``old`` → ``new`` word by word: removed words in <del>, added ones in <ins>."""
    before, after = _TOKENS.findall(old or ""), _TOKENS.findall(new or "")
    parts = []
    matcher = SequenceMatcher(a=before, b=after, autojunk=False)
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "equal":
            parts.append(escape("".join(before[a1:a2])))
            continue
        if a2 > a1:
            parts.append(
                '<del><span class="visually-hidden">removed: </span>'
                f"{escape(''.join(before[a1:a2]))}</del>"
            )
        if b2 > b1:
            parts.append(
                '<ins><span class="visually-hidden">added: </span>'
                f"{escape(''.join(after[b1:b2]))}</ins>"
            )
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
