"""Brand kits and recipes in the store (issue 18). Store methods (lib.store.tasks.Store),
like Team: each write is one transaction with its audit entry. Who may write is checked
before, in lib/team/kits.py and lib/create/recipes.py."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from lib.domain.kits import Kit, KitFields, folded
from lib.domain.review import ReviewState
from lib.domain.statuses import TaskStatus
from lib.store.memo import Memo
from lib.store.schema import Asset, KitRow, Recipe, Review, Task
from lib.store.team import DONE, add_audit


class KitNameTaken(Exception):
    """Another kit has this name (whatever its case and accents)."""


@dataclass(frozen=True)
class RecipeStats:
    uses: int  # videos started from it
    made: int  # of them, finished
    spent_quota: int  # what all its videos cost (settled, or held while being made)
    approved: int


def kit_of(row: KitRow) -> Kit:
    return Kit(
        id=row.id,
        name=row.name,
        before=row.before_words,
        after=row.after_words,
        banned=tuple(row.banned or ()),
        model=row.model,
        aspect_ratio=row.aspect_ratio,
        resolution=row.resolution,
        duration=row.duration,
        pictures=tuple(row.pictures or ()),
    )


class Kits:
    session: Callable[[], Session]
    writing: Callable[[], AbstractContextManager[Session]]
    memo: Memo

    # ----- kits ---------------------------------------------------------------------------
    def kits(self) -> list[Kit]:
        """Every kit by name; kept until this process writes (memo.py: every run of
        Create draws the kit picker)."""
        return list(self.memo.get("kits", self._kits))

    def _kits(self) -> tuple[Kit, ...]:
        with self.session() as session:
            rows = session.scalars(select(KitRow).order_by(KitRow.name))
            return tuple(kit_of(row) for row in rows)

    def get_kit(self, kit_id: str | None) -> Kit | None:
        if not kit_id:
            return None
        with self.session() as session:
            row = session.get(KitRow, kit_id)
            return kit_of(row) if row is not None else None

    def save_kit(
        self,
        kit_id: str | None,
        fields: KitFields,
        by: tuple[str | None, str],
        now: datetime,
    ) -> Kit:
        """Make (kit_id None) or change a kit whose fields were checked; raises KitNameTaken."""
        with self.writing() as session:
            taken = [
                row.id
                for row in session.scalars(select(KitRow))
                if folded(row.name) == folded(fields.name) and row.id != kit_id
            ]
            if taken:
                raise KitNameTaken(fields.name)
            row = session.get(KitRow, kit_id) if kit_id else None
            made = row is None
            if row is None:
                row = KitRow(id=uuid.uuid4().hex)
                session.add(row)
            row.name, row.before_words, row.after_words = fields.name, fields.before, fields.after
            row.banned = list(fields.banned)
            row.model, row.aspect_ratio = fields.model, fields.aspect_ratio
            row.resolution, row.duration = fields.resolution, fields.duration
            row.pictures = list(fields.pictures)
            row.updated_by, row.updated_at = by[1], now
            add_audit(
                session,
                "kit.create" if made else "kit.change",
                by[0],
                by[1],
                DONE,
                row.id,
                f"“{fields.name}”: {len(fields.banned)} banned word(s), "
                f"{len(fields.pictures)} picture(s)",
                now,
            )
            session.flush()
            return kit_of(row)

    def delete_kit(self, kit_id: str, by: tuple[str | None, str], now: datetime) -> str | None:
        """-> the deleted kit's name (None: there was none). Videos keep its name."""
        with self.writing() as session:
            row = session.get(KitRow, kit_id)
            if row is None:
                return None
            session.delete(row)
            add_audit(session, "kit.delete", by[0], by[1], DONE, kit_id, f"“{row.name}”", now)
            return row.name

    def assets_by_sha(self, shas: Sequence[str]) -> dict[str, Asset]:
        if not shas:
            return {}
        with self.session() as session:
            rows = session.scalars(select(Asset).where(Asset.sha256.in_(list(shas))))
            return {row.sha256: row for row in rows}

    # ----- recipes ------------------------------------------------------------------------
    def add_recipe(self, recipe: Recipe, now: datetime) -> Recipe:
        recipe.id = uuid.uuid4().hex
        recipe.created_at = recipe.updated_at = now
        with self.writing() as session:
            session.add(recipe)
            add_audit(
                session,
                "recipe.create",
                recipe.author_id,
                recipe.author_name,
                DONE,
                recipe.id,
                f"“{recipe.title}”",
                now,
            )
        return recipe

    def recipes(self) -> list[Recipe]:
        with self.session() as session:
            return list(session.scalars(select(Recipe).order_by(Recipe.created_at.desc())))

    def get_recipe(self, recipe_id: str) -> Recipe | None:
        with self.session() as session:
            return session.get(Recipe, recipe_id)

    def change_recipe(
        self, recipe_id: str, changes: dict[str, Any], by: tuple[str | None, str], now: datetime
    ) -> bool:
        with self.writing() as session:
            row = session.get(Recipe, recipe_id)
            if row is None:
                return False
            for name, value in changes.items():
                setattr(row, name, value)
            row.updated_at = now
            add_audit(
                session, "recipe.change", by[0], by[1], DONE, recipe_id, f"“{row.title}”", now
            )
            return True

    def delete_recipe(self, recipe_id: str, by: tuple[str | None, str], now: datetime) -> bool:
        with self.writing() as session:
            row = session.get(Recipe, recipe_id)
            if row is None:
                return False
            session.delete(row)
            add_audit(
                session, "recipe.delete", by[0], by[1], DONE, recipe_id, f"“{row.title}”", now
            )
            return True

    def recipe_stats(self, recipe_ids: Sequence[str]) -> dict[str, RecipeStats]:
        """Per recipe: how many videos were started from it, finished, what they cost,
        and how many were approved. One query."""
        if not recipe_ids:
            return {}
        spend = func.coalesce(Task.cost_quota, Task.pre_consumed_quota, Task.estimate_quota, 0)
        query = (
            select(
                Task.recipe_id,
                func.count(Task.id),
                func.sum(case((Task.status == TaskStatus.COMPLETED, 1), else_=0)),
                func.sum(spend),
                func.sum(case((Review.state == ReviewState.APPROVED, 1), else_=0)),
            )
            .outerjoin(Review, Review.task_id == Task.id)
            .where(Task.recipe_id.in_(list(recipe_ids)))
            .group_by(Task.recipe_id)
        )
        with self.session() as session:
            rows = session.execute(query).all()
        return {
            rid: RecipeStats(int(uses), int(made or 0), int(spent or 0), int(approved or 0))
            for rid, uses, made, spent, approved in rows
        }
