"""What part of the district a figure, list or export covers.

A :class:`Scope` restricts the population to firms in some chains and/or in some areas
(a park or a street). Reports (``--chain``), the dashboard's chain page and, later, user
permissions all pass a scope; every computation in :mod:`tracker.coverage`,
:mod:`tracker.rules` and :mod:`tracker.graph` honours it, so nothing outside the scope
reaches a figure or a firm list.
"""

from __future__ import annotations

from dataclasses import dataclass

from .i18n import t

__all__ = ["EVERYTHING", "Scope"]


@dataclass(frozen=True)
class Scope:
    chains: frozenset[str] | None = None  # chain codes; None = all chains
    areas: frozenset[str] | None = None  # park or street names; None = everywhere

    @classmethod
    def of(cls, chains=None, areas=None) -> Scope:
        return cls(
            chains=frozenset(c.strip().upper() for c in chains) if chains else None,
            areas=frozenset(a.strip() for a in areas) if areas else None,
        )

    @property
    def is_everything(self) -> bool:
        return self.chains is None and self.areas is None

    def describe(self, lang: str = "zh") -> str:
        """The scope in words, in ``lang``.

        >>> Scope.of(chains=["bio", "IC"]).describe("en")
        'chains: BIO、IC'
        >>> EVERYTHING.describe()
        '全区'
        """
        parts = []
        if self.chains is not None:
            parts.append(t("common.scope_chains", lang) + "、".join(sorted(self.chains)))
        if self.areas is not None:
            parts.append(t("common.scope_areas", lang) + "、".join(sorted(self.areas)))
        return "；".join(parts) if parts else t("common.scope_everything", lang)


EVERYTHING = Scope()
