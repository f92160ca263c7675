"""Prometheus metrics of the geocoding service (default registry, served on /metrics)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

GEOCODER_REQUESTS = Counter(
    "sdi_geocoder_requests_total",
    "HTTP requests to a remote geocoder, by outcome "
    "(ok, throttled, server_error, timeout, transport_error, malformed, client_error)",
    ["geocoder", "outcome"],
)
GEOCODER_LATENCY = Histogram(
    "sdi_geocoder_request_duration_seconds",
    "Latency of one HTTP request to a remote geocoder",
    ["geocoder"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
BREAKER_STATE = Gauge(
    "sdi_geocoder_breaker_open",
    "1 while the circuit breaker of a geocoder is open or half-open",
    ["geocoder"],
)
STEP_RESULTS = Counter(
    "sdi_geocoding_step_results_total",
    "Answers of each chain step (found; not_found = nothing in the input's commune above "
    "the minimum score; unavailable = retries spent; skipped = breaker open)",
    ["source", "result"],
)
RESULTS = Counter(
    "sdi_geocoding_results_total",
    "Final geocoding outcomes by source and precision (source 'none' = unresolved)",
    ["source", "precision"],
)
CHAIN_LATENCY = Histogram(
    "sdi_geocoding_duration_seconds",
    "Time to geocode one address through the cache and the chain",
    buckets=(0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5, 30),
)
CACHE = Counter(
    "sdi_geocache_lookups_total",
    "Lookups in the shared GEOCACHE bucket (hit, miss, error)",
    ["result"],
)
