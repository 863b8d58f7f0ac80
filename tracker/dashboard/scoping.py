"""A page's figures narrowed to the user's scope (:class:`tracker.scope.Scope`).

The cached views are computed per chain or per scope; a user restricted by area sees a
chain's firms in their areas only, so the chain page's figures are recomputed with the
intersection of the chain and the user's scope.

Examples
--------
>>> from tracker.scope import EVERYTHING
>>> intersect(Scope.of(chains=["BIO", "IC"]), Scope.of(chains=["BIO"])).chains
frozenset({'BIO'})
>>> intersect(EVERYTHING, Scope.of(areas=["萝岗街道"])).areas
frozenset({'萝岗街道'})
"""

from __future__ import annotations

from dataclasses import replace

from ..coverage import coverage, firm_status
from ..graph import build_graph, chain_subgraph
from ..scope import Scope
from . import views
from .page import PageContext

__all__ = ["intersect", "scoped_chain_detail", "scoped_chain_graph", "visible_chains"]


def intersect(a: Scope, b: Scope) -> Scope:
    """The part of the district in both scopes (per axis: the common chains / areas).

    On the chain axis this is conservative: a firm in chain X of ``a`` and chain Y of ``b``
    is left out. The pages only offer filters inside the user's scope, where that is exact.
    """
    def both(x, y):
        if x is None:
            return y
        return x if y is None else x & y
    return Scope(chains=both(a.chains, b.chains), areas=both(a.areas, b.areas))


def visible_chains(ctx: PageContext) -> list[tuple[str, str]]:
    """(code, name) of the chains the user may pick: their chains, or all of them."""
    chains = views.chain_list(ctx.engine, ctx.lang)
    if ctx.scope.chains is None:
        return chains
    return [(code, name) for code, name in chains if code in ctx.scope.chains]


def _chain_scope(ctx: PageContext, code: str) -> Scope:
    return intersect(Scope.of(chains=[code]), ctx.scope)


def scoped_chain_detail(ctx: PageContext, code: str) -> views.ChainDetail:
    """:func:`tracker.dashboard.views.chain_detail` of one chain, narrowed to the user's scope.

    A user restricted by chain alone sees the whole chain (the cached view as is). A user
    restricted by area sees the chain's firms in their areas only: the figures and segments
    are recomputed with the intersected scope, the masters and uncovered firms are the
    view's rows of firms in that scope, and the planner's suggestion (which may name
    organisations of other areas) is left out.
    """
    detail = views.chain_detail(ctx.engine, code, ctx.as_of, ctx.lang)
    scope = _chain_scope(ctx, code)
    if scope == Scope.of(chains=[code]) or not detail.exists:
        return detail
    result = coverage(ctx.engine, ctx.as_of, by="segment", scope=scope, lang=ctx.lang)
    inside = set(firm_status(ctx.engine, ctx.as_of, scope=scope,
                             denominator=result.denominator)["credit_code"])
    masters = detail.masters[detail.masters["credit_code"].isin(inside)].reset_index(drop=True)
    uncovered = detail.uncovered[detail.uncovered["credit_code"].isin(inside)].reset_index(drop=True)
    uncovered = uncovered.assign(suggestion="")
    segments = [{"key": g.key, "name": g.name, **g.counts.as_dict()} for g in result.groups]
    return replace(detail, counts=result.total, gap=result.total.gap_to(detail.target_rate),
                   segments=segments, masters=masters, uncovered=uncovered,
                   denominator_text=result.denominator_text)


def scoped_chain_graph(ctx: PageContext, code: str):
    """The network picture of one chain with only the firms of the user's scope."""
    scope = _chain_scope(ctx, code)
    if scope == Scope.of(chains=[code]):
        return views.chain_graph(ctx.engine, code, ctx.as_of)
    return chain_subgraph(build_graph(ctx.engine, ctx.as_of, scope), code)
