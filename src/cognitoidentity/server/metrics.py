"""The server's Prometheus metrics (prometheus-client), served at ``GET /metrics``.

One :class:`Metrics` per server process, made by :func:`~.bootstrap.start` and handed to what
records: the pipeline (``Mounted.metrics``), the operations (``Runtime.metrics``), the login
verifier and its JWKS cache, the token issuer, the credential vault and the SQLite writer. Each of
them takes None, the default, and then records nothing: the admin commands and the tests that build
those parts alone never import prometheus-client (about 50 ms), and this module imports it only
when a :class:`Metrics` is made.

The metrics live in a registry of their own, not prometheus-client's global one, so that several
servers in one process (tests) each count their own requests.

**Several processes** (``PROMETHEUS_MULTIPROC_DIR``): prometheus-client's multiprocess mode keeps
every value in a memory-mapped file per process in that directory, and a scrape, answered by any
process, adds up the files of all of them. The choice between plain and file-backed values is a
global of prometheus-client made when it is first imported, so the variable must be set before the
server process starts (whoever starts the workers sets it, to an empty directory it wipes before
each start: files of an earlier run would be counted again). There are no gauges, so nothing needs
``mark_process_dead`` when a worker exits: the counts of a dead worker stay in the totals, as
counters must. Process metrics (CPU, memory, open files) are per process and so left out in that
mode. A file-backed value costs about twice a plain one (a lock and an ``mmap`` write each).

Request recording is the hot path. In one process, a request adds its duration to a plain list of
bucket counts per (operation, status) (:class:`_PlainHistogram`, ~0.2 µs), each commit of the
SQLite writer its duration and size likewise (on the writer's thread, the only one that adds to
them), and the credentials, identities and logins counted per call wait in plain integers;
prometheus-client is handed the totals when it collects (a scrape, the console), through
collectors of its own. A histogram observation took ~0.9 µs (a lock per value and a walk of the
buckets), a counter ~0.4 µs, for every request. What a scrape shows is the same, to the byte. In
multiprocess mode every value is written to this process's files as it happens (a scrape answered
by another process must see it at once), one histogram observation per request on a label child
bound once per (operation, status) pair (``.labels()`` itself costs more than the observation).
"""

from __future__ import annotations

import asyncio
import os
import time
from bisect import bisect_left
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry, Counter, Histogram
    from prometheus_client.metrics_core import Metric

__all__ = [
    "CONTENT_TYPE",
    "MULTIPROCESS_ENV",
    "Metrics",
    "counted_fetch",
]

MULTIPROCESS_ENV: Final = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE: Final = "text/plain; version=0.0.4; charset=utf-8"
"""The classic text format, which every Prometheus version reads (the names are plain ASCII)."""

REQUEST_BUCKETS: Final = (
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
)  # fmt: skip
"""Seconds: most calls answer in well under a millisecond; a provider fetch may take its 5 s."""
COMMIT_BUCKETS: Final = (
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
)  # fmt: skip
"""Seconds: an fsync, or up to the second a group waits for another process's write lock."""
GROUP_BUCKETS: Final = (1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0)
"""Writes per transaction, up to the writer's ``MAX_GROUP``."""
CACHE_COUNTS_SECONDS: Final = 5.0
"""Multiprocess mode: how often a process adds its caches' counts to its files."""


class Metrics:
    """Every metric of a server process, and one method per thing that is counted.

    ``multiprocess_dir``: the directory of prometheus-client's multiprocess mode, None for one
    process; :meth:`from_environment` reads it from ``PROMETHEUS_MULTIPROC_DIR``."""

    def __init__(self, *, multiprocess_dir: str | None = None) -> None:
        # Imported here: see the module doc.
        import prometheus_client
        from prometheus_client import CollectorRegistry, Counter, Histogram
        from prometheus_client import values as prometheus_values

        if multiprocess_dir is not None:
            if not getattr(prometheus_values.ValueClass, "_multiprocess", False):
                raise RuntimeError(
                    f"{MULTIPROCESS_ENV} must be set before the process starts"
                    " (prometheus-client was imported without it)"
                )
            if not os.path.isdir(multiprocess_dir):
                raise RuntimeError(f"{MULTIPROCESS_ENV}={multiprocess_dir} is not a directory")
        self.multiprocess_dir = multiprocess_dir
        registry: CollectorRegistry | None
        if multiprocess_dir is None:
            registry = CollectorRegistry()
            prometheus_client.ProcessCollector(registry=registry)
            prometheus_client.PlatformCollector(registry=registry)
            prometheus_client.GCCollector(registry=registry)
            self.scraped = registry
        else:
            # Recorded values go to this process's files; scrapes read every process's files.
            registry = None
            self.scraped = CollectorRegistry()
            from prometheus_client.multiprocess import MultiProcessCollector

            MultiProcessCollector(self.scraped, path=multiprocess_dir)  # type: ignore[no-untyped-call]

        self._durations: _PlainHistogram | None = None
        """One process: the request histogram's plain counts (see the module doc)."""
        self._requests: dict[tuple[str, int], Histogram] = {}
        if registry is None:
            self._request_seconds = Histogram(
                REQUESTS_NAME,
                REQUESTS_HELP,
                ["operation", "status"],
                buckets=REQUEST_BUCKETS,
                registry=registry,
            )
        else:
            # Registered where the histogram was, so that a scrape lists it in the same place;
            # it hands over the counts waiting below before the counters are collected.
            self._durations = _PlainHistogram(
                REQUESTS_NAME, REQUESTS_HELP, REQUEST_BUCKETS, ("operation", "status"),
                hand_over=self._hand_over,
            )  # fmt: skip
            registry.register(self._durations)
        self._pending_credentials = 0
        self._pending_guests = 0
        self._pending_authenticated = 0
        self._pending_logins: dict[tuple[str, str], int] = {}
        self._logins = Counter(
            "cognitoidentity_login_verifications",
            "Logins tokens checked by a verifier, by provider kind and outcome (ok; rejected: the"
            " token is refused; unavailable: the provider could not be asked; error: a failure"
            " of this server). A Logins key the pool does not support reaches no verifier.",
            ["kind", "outcome"],
            registry=registry,
        )
        self._login_children: dict[tuple[str, str], Counter] = {}
        self._fetches = Counter(
            "cognitoidentity_provider_fetches",
            "OpenID discovery documents and JWKS fetched from identity providers, by outcome.",
            ["document", "outcome"],
            registry=registry,
        )
        identities = Counter(
            "cognitoidentity_identities_created",
            "Identities created, unauthenticated (guests) or authenticated (with logins).",
            ["kind"],
            registry=registry,
        )
        self._guests_created = identities.labels("unauthenticated")
        self._authenticated_created = identities.labels("authenticated")
        self._tokens = Counter(
            "cognitoidentity_openid_tokens_issued",
            "OpenID tokens issued (GetOpenIdToken, GetOpenIdTokenForDeveloperIdentity).",
            registry=registry,
        )
        self._credentials = Counter(
            "cognitoidentity_credentials_issued",
            "Temporary credentials issued (GetCredentialsForIdentity, AssumeRoleWithWebIdentity).",
            registry=registry,
        )
        commit_seconds = (
            "cognitoidentity_store_commit_duration_seconds",
            "SQLite store: how long each group of writes took to commit, waiting for the write"
            " lock included.",
        )
        commit_writes = (
            "cognitoidentity_store_commit_writes",
            "SQLite store: writes committed together by one transaction (group commit).",
        )
        self._commit_counts: tuple[list[float], list[float]] | None = None
        """One process: the commit histograms' plain counts (seconds, writes)."""
        if registry is None:
            self._commit_seconds = Histogram(
                *commit_seconds, buckets=COMMIT_BUCKETS, registry=registry
            )
            self._commit_writes = Histogram(
                *commit_writes, buckets=GROUP_BUCKETS, registry=registry
            )
        else:
            seconds_histogram = _PlainHistogram(*commit_seconds, COMMIT_BUCKETS)
            writes_histogram = _PlainHistogram(*commit_writes, GROUP_BUCKETS)
            registry.register(seconds_histogram)
            registry.register(writes_histogram)
            self._commit_counts = (seconds_histogram.child(()), writes_histogram.child(()))
        self._cache_lookups = Counter(
            "cognitoidentity_cache_lookups",
            "Lookups in the process's caches (the README lists them), by cache and outcome.",
            ["cache", "outcome"],
            registry=registry,
        )
        self._cache_timer: asyncio.TimerHandle | None = None

    @classmethod
    def from_environment(cls) -> Metrics:
        """Multiprocess mode when ``PROMETHEUS_MULTIPROC_DIR`` is set (see the module doc)."""
        return cls(multiprocess_dir=os.environ.get(MULTIPROCESS_ENV) or None)

    def request(self, operation: str, status: int, seconds: float) -> None:
        """One answered request (the pipeline calls this for every request)."""
        durations = self._durations
        if durations is not None:
            counts = durations.children.get((operation, status))
            if counts is None:
                counts = durations.child((operation, status))
            counts[0] += seconds
            counts[1 + bisect_left(REQUEST_BUCKETS, seconds)] += 1
            return
        child = self._requests.get((operation, status))
        if child is None:
            # Bounded: operations are the models' names, pages and "-"; statuses are few.
            child = self._request_seconds.labels(operation, str(status))
            self._requests[(operation, status)] = child
        child.observe(seconds)

    def login(self, kind: str, outcome: str) -> None:
        """One ``Logins`` token verified (or refused) by a verifier of ``kind``."""
        if self._durations is not None:
            pending = self._pending_logins
            pending[kind, outcome] = pending.get((kind, outcome), 0) + 1
            return
        self._login_counter(kind, outcome).inc()

    def _login_counter(self, kind: str, outcome: str) -> Counter:
        child = self._login_children.get((kind, outcome))
        if child is None:
            child = self._logins.labels(kind, outcome)
            self._login_children[(kind, outcome)] = child
        return child

    def provider_fetch(self, document: str, *, ok: bool) -> None:
        self._fetches.labels(document, "ok" if ok else "failed").inc()

    def identity_created(self, *, authenticated: bool) -> None:
        if self._durations is None:
            (self._authenticated_created if authenticated else self._guests_created).inc()
        elif authenticated:
            self._pending_authenticated += 1
        else:
            self._pending_guests += 1

    def token_issued(self) -> None:
        # Counted at once: a token may be signed on another thread, and costs a signature anyway.
        self._tokens.inc()

    def credentials_issued(self) -> None:
        if self._durations is None:
            self._credentials.inc()
        else:
            self._pending_credentials += 1

    def _hand_over(self) -> None:
        """Add the counts waiting in plain integers to their counters (one process; on the event
        loop that counts them, when prometheus-client collects)."""
        if self._pending_credentials:
            self._credentials.inc(self._pending_credentials)
            self._pending_credentials = 0
        if self._pending_guests:
            self._guests_created.inc(self._pending_guests)
            self._pending_guests = 0
        if self._pending_authenticated:
            self._authenticated_created.inc(self._pending_authenticated)
            self._pending_authenticated = 0
        if self._pending_logins:
            pending, self._pending_logins = self._pending_logins, {}
            for (kind, outcome), n in pending.items():
                self._login_counter(kind, outcome).inc(n)

    def store_commit(self, seconds: float, writes: int) -> None:
        """One transaction of the SQLite writer; called on the writer's thread (prometheus-client
        values are thread-safe; the plain counts are added to by that thread alone)."""
        counts = self._commit_counts
        if counts is not None:
            durations, sizes = counts
            durations[0] += seconds
            durations[1 + bisect_left(COMMIT_BUCKETS, seconds)] += 1
            sizes[0] += writes
            sizes[1 + bisect_left(GROUP_BUCKETS, writes)] += 1
            return
        self._commit_seconds.observe(seconds)
        self._commit_writes.observe(writes)

    def take_cache_counts(self) -> None:
        """Add what the caches counted since the last time. Caches count in plain integers
        (a lookup is far cheaper than a metric update); they are taken here, on the event loop
        that uses them."""
        from cognitoidentity.server.cache import live_caches

        for cache in live_caches():
            hits, misses = cache.take_counts()
            if hits:
                self._cache_lookups.labels(cache.name, "hit").inc(hits)
            if misses:
                self._cache_lookups.labels(cache.name, "miss").inc(misses)

    def start(self) -> None:
        """Begin taking the caches' counts every :data:`CACHE_COUNTS_SECONDS` (multiprocess mode
        only: a scrape answered by another process cannot take this one's); call on the server's
        event loop, and :meth:`close` at the end."""
        if self.multiprocess_dir is None or self._cache_timer is not None:
            return
        loop = asyncio.get_running_loop()

        def tick() -> None:
            self.take_cache_counts()
            self._cache_timer = loop.call_later(CACHE_COUNTS_SECONDS, tick)

        self._cache_timer = loop.call_later(CACHE_COUNTS_SECONDS, tick)

    def close(self) -> None:
        """Stop what :meth:`start` began, after a last taking of the caches' counts."""
        if self._cache_timer is not None:
            self._cache_timer.cancel()
            self._cache_timer = None
            self.take_cache_counts()

    def exposition(self) -> bytes:
        """The text format of every metric (of every process, in multiprocess mode)."""
        from prometheus_client import generate_latest

        self.take_cache_counts()
        return generate_latest(self.scraped)


REQUESTS_NAME: Final = "cognitoidentity_request_duration_seconds"
REQUESTS_HELP: Final = (
    "Requests by operation (or page path) and HTTP status, and how long each took"
    " (its _count is the number of requests)."
)


class _PlainHistogram:
    """A histogram of one process as prometheus-client's ``Histogram`` collects it (the same
    samples, in the same order), from plain counts: per label values (in ``labels`` order, any
    hashable form whose ``str`` is the label value), a list of the sum of the values observed,
    then one count per bucket of ``buckets`` and +Inf (not cumulative): observing ``x`` adds it to
    ``[0]`` and 1 to ``[1 + bisect_left(buckets, x)]``. Without labels, its one child exists from
    the start, as a Histogram's does. ``hand_over`` runs first at each collection (the counts
    waiting elsewhere)."""

    def __init__(
        self,
        name: str,
        documentation: str,
        buckets: tuple[float, ...],
        labels: tuple[str, ...] = (),
        *,
        hand_over: Callable[[], None] | None = None,
    ) -> None:
        from prometheus_client.utils import floatToGoString

        self.name = name
        self.documentation = documentation
        self.labels = labels
        self.children: dict[tuple[object, ...], list[float]] = {}
        self._created: dict[tuple[object, ...], float] = {}
        self._hand_over = hand_over
        self._size = len(buckets) + 2
        self._bounds: list[str] = [
            floatToGoString(b)  # type: ignore[no-untyped-call]
            for b in (*buckets, float("inf"))
        ]
        if not labels:
            self.child(())

    def child(self, key: tuple[object, ...]) -> list[float]:
        """The counts of the label values ``key``, made at first use."""
        counts = self.children.get(key)
        if counts is None:
            counts = [0.0] * self._size
            self._created[key] = time.time()
            self.children[key] = counts
        return counts

    def describe(self) -> list[Metric]:
        from prometheus_client.metrics_core import Metric

        return [Metric(self.name, self.documentation, "histogram")]

    def collect(self) -> Iterator[Metric]:
        from prometheus_client import metrics as prometheus_metrics
        from prometheus_client.metrics_core import Metric

        if self._hand_over is not None:
            self._hand_over()
        name = self.name
        family = Metric(name, self.documentation, "histogram")
        # prometheus-client's switch for the _created series (its environment variable or
        # disable_created_metrics()), which a Histogram reads when it is collected.
        created = getattr(prometheus_metrics, "_use_created", True)
        for key, counts in list(self.children.items()):
            labels = {label: str(value) for label, value in zip(self.labels, key, strict=True)}
            total = 0.0
            for bound, n in zip(self._bounds, counts[1:], strict=True):
                total += n
                family.add_sample(name + "_bucket", {**labels, "le": bound}, total)
            family.add_sample(name + "_count", labels, total)
            family.add_sample(name + "_sum", labels, counts[0])
            if created:
                family.add_sample(name + "_created", labels, self._created[key])
        yield family


@contextmanager
def counted_fetch(metrics: Metrics | None, document: str) -> Iterator[None]:
    """Count the fetch of a provider's ``document`` made inside: failed if it raises. A cancelled
    fetch (the caller went away) is not counted."""
    if metrics is None:
        yield
        return
    try:
        yield
    except Exception:
        metrics.provider_fetch(document, ok=False)
        raise
    metrics.provider_fetch(document, ok=True)
