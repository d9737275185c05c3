"""The merchant's product catalogue: what the confirmation email recommends.

`winback catalogue load FILE --table` validates a YAML file and writes it to the
products table; best sellers carry a rank in a sparse index, so reading the top
few is one query whatever the size of the catalogue. A function keeps what it read
for a minute (as it does campaigns): a loaded catalogue reaches the emails within
that, and a busy shop's confirmations do not each read the same products again.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator

from winback.aws.kept import Kept
from winback.aws.store import ProductRecord, find
from winback.model.campaigns import HttpUrl, read_yaml
from winback.model.events import Currency, Money

RECOMMENDED = 3
BEST_SELLER = "yes"
_products_kept: Kept[str, ProductRecord | None] = Kept()  # by sku; None: not in the catalogue
_best_kept: Kept[int, list[ProductRecord]] = Kept()  # by how many were asked for


class CatalogueError(ValueError):
    """A catalogue file that cannot be used; the message names the product and field."""


class Product(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    sku: Annotated[str, StringConstraints(min_length=1, max_length=128)]
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    description: Annotated[str, StringConstraints(max_length=300)] | None = None
    price: Money
    currency: Currency
    url: HttpUrl
    image_url: HttpUrl | None = None
    complementary: list[str] = []  # skus that go well with this one


class Catalogue(BaseModel):
    model_config = ConfigDict(extra="forbid")
    products: Annotated[list[Product], Field(min_length=1)]
    best_sellers: list[str] = []  # skus, best first

    @model_validator(mode="after")
    def _known_skus(self) -> Catalogue:
        skus = [p.sku for p in self.products]
        if len(set(skus)) != len(skus):
            raise ValueError("two products share a sku")
        known = set(skus)
        for product in self.products:
            for sku in product.complementary:
                if sku not in known:
                    raise ValueError(f"product {product.sku}: complementary sku {sku!r} is not in the catalogue")
        for sku in self.best_sellers:
            if sku not in known:
                raise ValueError(f"best_sellers: sku {sku!r} is not in the catalogue")
        return self


def parse_catalogue(data: Any, source: str = "catalogue") -> Catalogue:
    try:
        return Catalogue.model_validate(data)
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        where = ".".join(str(part) for part in first["loc"]) or "catalogue"
        raise CatalogueError(f"{source}: {where}: {first['msg'].removeprefix('Value error, ')}") from None


def load_catalogue(path: str | Path) -> Catalogue:
    return parse_catalogue(read_yaml(Path(path), "the catalogue", CatalogueError), str(path))


def apply(catalogue: Catalogue) -> int:
    """Write every product (replacing what was there under its sku)."""
    rank = {sku: n for n, sku in enumerate(catalogue.best_sellers, start=1)}
    with ProductRecord.batch_write() as batch:
        for product in catalogue.products:
            batch.save(
                ProductRecord(
                    product.sku,
                    name=product.name,
                    description=product.description,
                    price=str(product.price),
                    currency=product.currency,
                    url=product.url,
                    image_url=product.image_url,
                    complementary=product.complementary or None,
                    best_seller=BEST_SELLER if product.sku in rank else None,
                    best_seller_rank=rank.get(product.sku),
                )
            )
    invalidate()
    return len(catalogue.products)


def invalidate() -> None:
    _products_kept.clear()
    _best_kept.clear()


def _products(skus: list[str]) -> dict[str, ProductRecord]:
    """The products of these skus that the catalogue has, read once a minute."""
    missing = _products_kept.missing(skus)
    if missing:
        found = {record.sku: record for record in ProductRecord.batch_get(missing)}
        for sku in missing:
            _products_kept.keep(sku, found.get(sku))
    kept = {sku: _products_kept.kept(sku) for sku in skus}
    return {sku: record for sku, record in kept.items() if record is not None}


def _best(limit: int) -> list[ProductRecord]:
    """The first `limit` best sellers, read once a minute."""
    return _best_kept.get(limit, lambda: list(ProductRecord.by_best_seller.query(BEST_SELLER, limit=limit)))


def _shown(record: ProductRecord) -> dict[str, Any]:
    return {
        "sku": record.sku,
        "name": record.name,
        "description": record.description,
        "price": record.price,
        "currency": record.currency,
        "url": record.url,
        "image_url": record.image_url,
    }


def best_sellers(count: int) -> list[dict[str, Any]]:
    """The first `count` best sellers, as an email shows them."""
    return [_shown(r) for r in _best(count)][:count]


def recommendations(bought: list[str]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Complementary products of what was bought, and best sellers, neither showing
    what was bought nor the same product twice: at most RECOMMENDED of each."""
    seen = set(bought)
    wanted: list[str] = []
    for record in _products(bought).values():
        for sku in record.complementary or []:
            if sku not in seen and sku not in wanted:
                wanted.append(str(sku))
    found = _products(wanted[:RECOMMENDED]) if wanted else {}
    complementary = [_shown(found[sku]) for sku in wanted[:RECOMMENDED] if sku in found]
    seen |= set(found)
    best: list[dict[str, Any]] = []
    for record in _best(RECOMMENDED + len(seen)):
        if record.sku not in seen and len(best) < RECOMMENDED:
            best.append(_shown(record))
    return complementary, best


def look_up(sku: str) -> dict[str, Any] | None:
    """A product of the catalogue by sku (a webhook's line item without an image gets its image and link)."""
    record = _products_kept.get(sku, lambda: find(ProductRecord, sku))
    return _shown(record) if record is not None else None
