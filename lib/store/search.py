"""Searching the prompts with an index (History's search box), on both databases.

A `LIKE '%words%'` that no index serves read every prompt of the filter (0.65 s at 100,000
videos for History's count). Migration 0007 adds a trigram index on each database:
- PostgreSQL: pg_trgm's GIN index on `tasks.prompt`: the planner uses it for ILIKE itself;
- SQLite: an FTS5 table with the trigram tokenizer (`tasks_prompt_fts`, kept by triggers),
  which narrows the rows to those holding every three-letter piece of the words.
The ILIKE stays in the query on both, so what is found is exactly what it was: the index
only narrows where it is read. Words shorter than three letters have no trigram: a scan.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, text

from lib.store.schema import Task

SQLITE_FTS = "tasks_prompt_fts"  # and its shadow tables, tasks_prompt_fts_*
PG_TRIGRAM_INDEX = "ix_tasks_prompt_trgm"
TRIGRAM = 3


def like_pattern(words: str) -> str:
    r"""`%words%` for LIKE, with LIKE's own wildcards taken literally (escape char `\`)."""
    escaped = words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def prompt_contains(words: str, dialect: str, indexed: bool = True) -> ColumnElement[bool]:
    """Prompts that contain `words`, any case (ILIKE), served by the trigram index
    (`indexed=False` on SQLite: the ILIKE alone, tested on each row walked)."""
    contains = Task.prompt.ilike(like_pattern(words), escape="\\")
    if dialect != "sqlite" or len(words) < TRIGRAM or not indexed:
        return contains
    phrase = '"' + words.replace('"', '""') + '"'  # the words as one FTS5 string
    narrowed = Task.id.in_(
        text(f"SELECT task_id FROM {SQLITE_FTS} WHERE {SQLITE_FTS} MATCH :phrase").bindparams(
            phrase=phrase
        )
    )
    return and_(narrowed, contains)


def reads_the_index_first(words: str, dialect: str) -> bool:
    """SQLite's planner (without statistics) would rather walk an index on a column
    compared with `=`, such as the status (85 % of the videos are finished), and test
    each row against the trigram index's list: slower than no index at all. So when the
    trigram index serves the search, History's other filters are written so that no
    index serves them (`column || ''`): the trigram index's rows are read first."""
    return dialect == "sqlite" and len(words) >= TRIGRAM


def outside_the_models(name: str | None, kind: str) -> bool:
    """Whether a database object is this module's (not in lib/store/schema.py), for
    comparing the migrations with the models."""
    if not name:
        return False
    if kind == "table":
        return name == SQLITE_FTS or name.startswith(f"{SQLITE_FTS}_")
    return kind == "index" and name == PG_TRIGRAM_INDEX


def include_object(obj: Any, name: str | None, kind: str, reflected: bool, compare_to: Any) -> bool:
    """Alembic's filter: leave the search index objects out of the comparison."""
    return not (reflected and outside_the_models(name, kind))
