"""Walking a listing page by page: what ``svc.paginate(...)`` returns.

The rule is the seed's: request the next page with the ``NextToken`` of the last one, and stop when
a page comes without one. Two guards the seed's client lacks: an empty ``NextToken`` counts as
absent, and a token that comes back a second time stops the walk instead of looping forever.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Generic, TypeVar

logger = logging.getLogger("cognitoidentity.client")

PageT = TypeVar("PageT", bound=Mapping[str, Any])
ItemT = TypeVar("ItemT")


class Pages(Generic[PageT, ItemT]):
    """The pages of one listing, fetched lazily as you iterate; iterate again to list afresh.

    ``fetch(token)`` requests one page, starting from ``token`` (``None`` for the first page);
    ``result_key`` names the list each page carries (``"IdentityPools"``)."""

    def __init__(
        self,
        fetch: Callable[[str | None], PageT],
        result_key: str,
        starting_token: str | None = None,
    ) -> None:
        self._fetch = fetch
        self.result_key = result_key
        self.starting_token = starting_token

    def __iter__(self) -> Iterator[PageT]:
        token = self.starting_token
        seen: set[str] = set()
        while True:
            page = self._fetch(token)
            yield page
            token = page.get("NextToken") or None
            if token is None:
                return
            if token in seen:
                logger.warning("NextToken %r came back a second time; stopping", token)
                return
            seen.add(token)

    def items(self) -> Iterator[ItemT]:
        """The listed things of every page, in order (pools, identities or developer user
        identifiers)."""
        for page in self:
            items: list[ItemT] = page.get(self.result_key) or []
            yield from items
