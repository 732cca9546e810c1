"""GET /api/jobs/<id>: the status JSON for its owner or an admin, 404 for anyone else."""

from __future__ import annotations

import pytest

from tests.jobs import sample_jobs as jobs
from webapp.jobs import JobStatus


@pytest.fixture
def job_id(app, subscriber) -> str:
    with app.app_context():
        result = jobs.gated("api", owner_id=subscriber.id)
        JobStatus(result.id).update(step="A", total=10, progress=4, force=True)
        return result.id


def test_owner_reads_the_status_json(subscriber_client, job_id, subscriber):
    resp = subscriber_client.get(f"/api/jobs/{job_id}")
    assert resp.status_code == 200
    body = resp.get_json()
    assert (body["id"], body["status"], body["owner_id"]) == (job_id, "queued", subscriber.id)
    assert (body["progress"], body["total"], body["step"]) == (4, 10, "A")


def test_admin_reads_anyones_job(admin_client, job_id):
    resp = admin_client.get(f"/api/jobs/{job_id}")
    assert resp.status_code == 200 and resp.get_json()["id"] == job_id


def test_another_subscriber_gets_404_not_403(other_client, job_id):
    resp = other_client.get(f"/api/jobs/{job_id}")
    assert resp.status_code == 404 and resp.get_json() == {"error": "no such job"}


def test_unknown_id_gets_the_same_404(subscriber_client, job_id):
    resp = subscriber_client.get("/api/jobs/no-such-job")
    assert resp.status_code == 404 and resp.get_json() == {"error": "no such job"}


def test_overlong_id_gets_404(subscriber_client):
    assert subscriber_client.get("/api/jobs/" + "x" * 300).status_code == 404


def test_anonymous_gets_401_json_whatever_the_id(client, job_id):
    resp = client.get(f"/api/jobs/{job_id}")
    assert resp.status_code == 401 and resp.get_json() == {"error": "login required"}


def test_job_without_owner_is_for_admins_only(app, subscriber_client, admin_client):
    with app.app_context():
        job_id = jobs.add_numbers(1, 2).id
    assert subscriber_client.get(f"/api/jobs/{job_id}").status_code == 404
    assert admin_client.get(f"/api/jobs/{job_id}").status_code == 200
