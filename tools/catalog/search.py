"""Product search (diacritics and case ignored, typos tolerated) and the category list."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from core.collation import sorted_vi
from core.labels import category_label
from core.search import (
    catalogue_words,
    contains_all,
    fuzzy_scores,
    may_need_catalogue_words,
    partial_scores,
    phrase_tier,
    query_tokens,
    vocabulary,
)
from core.text import fold
from storage import catalog as store
from storage.catalog import ProductDoc, ProductScope
from storage.media import thumbnail_url
from tools.catalog.schemas import (
    MAX_CANDIDATES,
    CategoryOut,
    ListCategoriesIn,
    ListCategoriesOut,
    ProductHit,
    SearchProductsIn,
    SearchProductsOut,
)
from tools.catalog.validation import (
    _variant_text,
)
from tools.catalog_labels import category_labels
from tools.context import ToolContext
from tools.registry import CUSTOMER, STAFF, tool
from tools.stock import (
    read_levels,
)


async def _matching_categories(ctx: ToolContext, category: str, staff_all: bool) -> list[str]:
    """Stored category names equal to the asked one ignoring accents/case, else containing it."""
    names = await store.category_names(ctx.tx, include_inactive=staff_all)
    wanted = fold(category)
    equal = [n for n in names if fold(n) == wanted]
    return equal or [n for n in names if wanted and wanted in fold(n)]


@tool(
    name="search_products",
    description="""Find products by words a customer would use: name, type, colour, size,
    brand or code. Accents and case are ignored ("ao thun" finds "Áo thun") and small typos
    are tolerated (match='fuzzy' results: confirm with the customer; 'partial' means only
    some words matched and nothing better exists). Filter by category;
    in_stock_only hides sold-out products. Returns price range and units available; use
    get_product for variants. Pass only product words, not whole sentences.""",
    roles=STAFF | CUSTOMER,
    write=False,
)
async def search_products(ctx: ToolContext, inp: SearchProductsIn) -> SearchProductsOut:
    staff_all = inp.include_inactive and not ctx.actor.is_customer
    scope = ProductScope(include_inactive=staff_all)
    if inp.category is not None and inp.category.strip():
        cats = await _matching_categories(ctx, inp.category, staff_all)
        if not cats:
            return SearchProductsOut(results=[])
        scope = ProductScope(include_inactive=staff_all, categories=tuple(cats))
    words = query_tokens(inp.query)

    if not words:
        ids = await store.product_ids_by_name(ctx.tx, scope)
        listed: list[Ranked] = [(pid, "list", None) for pid in ids]
        return SearchProductsOut(results=await _take(ctx, listed, words, staff_all, inp))
    # 1. Every folded word appears in the product's text (SQL LIKE), best word matches first.
    exact = await store.docs_containing(ctx.tx, scope, words, MAX_CANDIDATES)
    everything: dict[int, ProductDoc] | None = None
    if not exact and may_need_catalogue_words(words):
        # English in a Vietnamese catalogue: "jeans" is "Quần jean", "t-shirt" is "Áo thun".
        everything = await store.all_docs(ctx.tx, scope)
        translated = catalogue_words(words, vocabulary(_texts(everything).values()))
        if translated != words:
            words = translated
            exact = await store.docs_containing(ctx.tx, scope, words, MAX_CANDIDATES)
    ranked = _rank(words, exact, fuzzy_scores(words, _texts(exact), cutoff=0), "exact")
    hits = await _take(ctx, ranked, words, staff_all, inp)
    if len(hits) >= inp.limit:
        return SearchProductsOut(results=hits)
    # 2. Too few: add products whose words are close spellings of every query word.
    if everything is None:
        everything = await store.all_docs(ctx.tx, scope)
    pool = {pid: doc for pid, doc in everything.items() if pid not in exact}
    fuzzy = _rank(words, pool, fuzzy_scores(words, _texts(pool)), "fuzzy")
    hits += await _take(ctx, fuzzy, words, staff_all, inp, inp.limit - len(hits))
    if hits or len(words) < 2:
        return SearchProductsOut(results=hits)
    # 3. Still nothing: the products with most of the words, as a last resort.
    partial = _rank(words, pool, partial_scores(words, _texts(pool)), "partial")
    return SearchProductsOut(results=await _take(ctx, partial, words, staff_all, inp))


def _texts(docs: dict[int, ProductDoc]) -> dict[int, str]:
    return {pid: doc.search_text for pid, doc in docs.items()}


def _rank(
    words: list[str],
    docs: dict[int, ProductDoc],
    scores: dict[int, float],
    match: Match,
) -> list[Ranked]:
    """The query as a phrase in the name first, then in the category, then all its words in
    the name, then as a phrase elsewhere (core.search.phrase_tier); within each, best score
    first; ties go to
    the product whose name (not just its category or variants) carries the words, then to
    the older product."""
    names = fuzzy_scores(words, {pid: fold(docs[pid].name) for pid in scores}, cutoff=0)
    tiers = {
        pid: phrase_tier(words, docs[pid].name, docs[pid].category, docs[pid].search_text)
        for pid in scores
    }
    order = sorted(scores, key=lambda p: (tiers[p], -scores[p], -names.get(p, 0.0), p))
    return [(pid, match, scores[pid]) for pid in order]


Match = Literal["exact", "fuzzy", "partial", "list"]
Ranked = tuple[int, Match, float | None]


async def _take(
    ctx: ToolContext,
    ranked: Sequence[Ranked],
    words: list[str],
    staff_all: bool,
    inp: SearchProductsIn,
    limit: int | None = None,
) -> list[ProductHit]:
    """The first ``limit`` hits in rank order; stock is read in small batches, so
    in_stock_only can skip sold-out products without reading every candidate's stock."""
    want = inp.limit if limit is None else limit
    hits: list[ProductHit] = []
    batch = max(want, 10)
    for start in range(0, len(ranked), batch):
        hits += await _hits(ctx, ranked[start : start + batch], words, staff_all, inp.in_stock_only)
        if len(hits) >= want:
            break
    return hits[:want]


async def _hits(
    ctx: ToolContext,
    ranked: Sequence[Ranked],
    words: list[str],
    staff_all: bool,
    in_stock_only: bool,
) -> list[ProductHit]:
    ids = [pid for pid, _, _ in ranked]
    products = await store.products_by_id(ctx.tx, ids)
    variants = await store.variants_of(ctx.tx, ids)
    live = {pid: [v for v in vs if v.active or staff_all] for pid, vs in variants.items()}
    levels = await read_levels(ctx, [v.id for vs in live.values() for v in vs])
    out: list[ProductHit] = []
    for pid, match, score in ranked:
        p, vs = products[pid], live[pid]
        available = sum(w.level.available for v in vs if v.active for w in levels[v.id])
        if in_stock_only and available <= 0:
            continue
        texts = {v.id: _variant_text(p, v) for v in vs}
        if match == "exact":
            matching = sum(1 for t in texts.values() if contains_all(words, t))
        elif match == "fuzzy":
            matching = len(fuzzy_scores(words, texts))
        elif match == "partial":
            matching = len(partial_scores(words, texts))
        else:
            matching = len(vs)
        prices = [v.sale_price for v in vs if v.active]
        out.append(
            ProductHit(
                product_id=p.id,
                code=p.code,
                name=p.name,
                category=p.category,
                category_en=category_label(p.labels_en, p.category, "en"),
                brand=p.brand,
                price_min=min(prices) if prices else None,
                price_max=max(prices) if prices else None,
                available=available,
                image=p.media[0] if p.media else None,
                image_url=p.media[0] if p.media else None,
                thumbnail_url=thumbnail_url(p.media[0]) if p.media else None,
                variant_count=len(vs),
                matching_variants=matching or len(vs),
                match=match,
                score=score,
            )
        )
    return out


@tool(
    name="list_categories",
    description="""The product categories, in Vietnamese alphabetical order, with how many
    products each has. Use to show a customer what the shop sells, then search_products with
    a category to list it.""",
    roles=STAFF | CUSTOMER,
    write=False,
)
async def list_categories(ctx: ToolContext, inp: ListCategoriesIn) -> ListCategoriesOut:
    english = await category_labels(ctx)
    rows = await store.active_category_counts(ctx.tx)
    return ListCategoriesOut(
        categories=[
            CategoryOut(name=name, name_en=english.get(name) or name, product_count=n)
            for name, n in sorted_vi(rows, key=lambda row: row[0])
        ]
    )
