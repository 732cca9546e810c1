"""Reading /metrics the way Prometheus does: the body parsed by prometheus-client's parser."""

from __future__ import annotations

from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families


def scrape(client: FlaskClient, **kwargs) -> dict[str, list[tuple[str, dict, float]]]:
    """The families of a 200 answer: name -> [(sample name, labels, value)]."""
    resp = client.get("/metrics", **kwargs)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return {
        family.name: [(s.name, s.labels, s.value) for s in family.samples]
        for family in text_string_to_metric_families(resp.get_data(as_text=True))
    }


def value(families: dict, family: str, sample: str | None = None, **labels: str) -> float:
    """The one sample of ``family`` named ``sample`` (default: the family's name) with
    exactly these labels."""
    name = sample or family
    found = [v for n, ls, v in families[family] if n == name and ls == labels]
    assert len(found) == 1, f"{name}{labels}: {families[family]}"
    return found[0]
